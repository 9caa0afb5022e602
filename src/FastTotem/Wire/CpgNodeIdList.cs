using System.Runtime.CompilerServices;

namespace FastTotem.Wire;

/// <summary>The <c>mar_uint32_t nodeids[PROCESSOR_COUNT_MAX]</c> of the CPG downlist messages.</summary>
[InlineArray(WireLimits.ProcessorCountMax)]
internal struct CpgNodeIdList
{
    private uint _element0;
}
