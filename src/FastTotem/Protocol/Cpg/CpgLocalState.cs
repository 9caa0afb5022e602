namespace FastTotem.Protocol.Cpg;

/// <summary>A local process's state (enum cpd_state, cpg.c), plus the slot states of our fixed table.</summary>
internal enum CpgLocalState : byte
{
    /// <summary>The slot is free.</summary>
    Unused = 0,

    /// <summary>procjoin sent, not yet delivered back.</summary>
    JoinStarted,

    /// <summary>Our procjoin came back: the process receives confchgs and messages of its group.</summary>
    JoinCompleted,

    /// <summary>procleave sent; it still receives until that procleave comes back.</summary>
    LeaveStarted,

    /// <summary>The process went away during sync; its procleave (PROCDOWN) leaves once CPG's sync completed.</summary>
    ExitPending,
}
