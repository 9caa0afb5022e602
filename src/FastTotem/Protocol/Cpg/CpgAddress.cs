using System.Runtime.InteropServices;

namespace FastTotem.Protocol.Cpg;

/// <summary>One process in a confchg list: mar_cpg_address_t (ipc_cpg.h) without its alignment padding.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct CpgAddress(uint NodeId, uint Pid, CpgReason Reason);
