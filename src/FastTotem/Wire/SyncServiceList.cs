using System.Runtime.CompilerServices;

namespace FastTotem.Wire;

/// <summary>The fixed <c>int service_list[128]</c> of req_exec_service_build_message (sync.c).</summary>
[InlineArray(WireLimits.ServiceListMax)]
internal struct SyncServiceList
{
    private int _element0;
}
