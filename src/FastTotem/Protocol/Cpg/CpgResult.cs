namespace FastTotem.Protocol.Cpg;

/// <summary>Outcome of a local CPG request, named after the cs_error_t corosync would answer with.</summary>
internal enum CpgResult : byte
{
    Ok = 0,

    /// <summary>CS_ERR_TRY_AGAIN: CPG's sync has not completed on the current ring, or an earlier leave is still in flight.</summary>
    TryAgain,

    /// <summary>CS_ERR_EXIST: this (group, pid) already joined.</summary>
    Exists,

    /// <summary>CS_ERR_NOT_EXIST: the handle is not joined (or already leaving).</summary>
    NotExist,

    /// <summary>CS_ERR_BUSY: the join is still in flight.</summary>
    Busy,

    /// <summary>CS_ERR_NAME_TOO_LONG: group names hold at most 128 bytes.</summary>
    NameTooLong,

    /// <summary>The local process table or the group table is full.</summary>
    NoResources,

    /// <summary>The message is longer than the configured maximum.</summary>
    TooLarge,

    /// <summary>The exec outbox has no room now; try again after it drained.</summary>
    QueueFull,
}
