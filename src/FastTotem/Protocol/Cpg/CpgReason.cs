namespace FastTotem;

/// <summary>Why a process joined or left a group (CONFCHG_CPG_REASON_*, cpg.c / cpg.h).</summary>
[BaseLayer]
public enum CpgReason : uint
{
    /// <summary>No reason given (a member listed in <see cref="GroupMembership.Members"/>).</summary>
    Undefined = 0,

    /// <summary>CPG_REASON_JOIN: the process joined the group.</summary>
    Join = 1,

    /// <summary>CPG_REASON_LEAVE: the process left the group.</summary>
    Leave = 2,

    /// <summary>CPG_REASON_NODEDOWN: the process's node left the ring.</summary>
    NodeDown = 3,

    /// <summary>CPG_REASON_NODEUP: the process's node joined the ring (a member the synchronisation brought in).</summary>
    NodeUp = 4,

    /// <summary>CPG_REASON_PROCDOWN: the process ended without leaving (its libcpg connection closed).</summary>
    ProcDown = 5,
}
