using System.Runtime.CompilerServices;

namespace FastTotem.Wire;

/// <summary>The <c>value[CS_MAX_NAME_LENGTH]</c> (256 bytes) of the mar_name_t key in a cmap mcast item.</summary>
[InlineArray(Length)]
internal struct CmapKeyName
{
    public const int Length = 256;

    private byte _element0;
}
