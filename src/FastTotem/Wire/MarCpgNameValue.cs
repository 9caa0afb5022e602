using System.Runtime.CompilerServices;

namespace FastTotem.Wire;

/// <summary>The <c>char value[128]</c> of mar_cpg_name_t (CPG_MAX_NAME_LENGTH).</summary>
[InlineArray(MarCpgName.ValueMax)]
internal struct MarCpgNameValue
{
    private byte _element0;
}
