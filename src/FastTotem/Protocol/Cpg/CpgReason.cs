namespace FastTotem.Protocol.Cpg;

/// <summary>Why a process joined or left a group (CONFCHG_CPG_REASON_*, cpg.c / cpg.h).</summary>
public enum CpgReason : uint
{
    Undefined = 0,
    Join = 1,
    Leave = 2,
    NodeDown = 3,
    NodeUp = 4,
    ProcDown = 5,
}
