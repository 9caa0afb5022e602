using System.Runtime.CompilerServices;

namespace FastTotem.Wire;

/// <summary>A <c>char name[VOTEQUORUM_QDEVICE_MAX_NAME_LEN]</c> (255 bytes, NUL-terminated) of the qdevice messages.</summary>
[InlineArray(Length)]
internal struct QdeviceName
{
    public const int Length = 255;

    private byte _element0;
}
