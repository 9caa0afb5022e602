namespace FastTotem.Protocol.Sync;

/// <summary>The sync engine's state (enum sync_state, sync.c), plus Aborted, which corosync does not have.</summary>
internal enum SyncState : byte
{
    /// <summary>Waiting for every member's service_build of this ring.</summary>
    ServiceListBuild,

    /// <summary>The current service is processing; its barrier has not been sent yet.</summary>
    Process,

    /// <summary>This node sent its barrier for the current service (also the state before any ring).</summary>
    Barrier,

    /// <summary>
    /// A configuration change aborted the round. corosync stays in PROCESS here and would call the service's
    /// abort again at the next change of the same transition; we call it once.
    /// </summary>
    Aborted,
}
