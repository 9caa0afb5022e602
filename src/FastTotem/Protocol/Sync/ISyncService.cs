using FastTotem.Wire;

namespace FastTotem.Protocol.Sync;

/// <summary>
/// A local service that takes part in sync v2 (the sync_init / sync_process / sync_activate / sync_abort
/// callbacks of a corosync service engine). The <see cref="SyncEngine"/> calls them on the protocol thread:
/// <see cref="SyncInit"/> once per ring for every local service, then for one service at a time in id order
/// <see cref="SyncProcess"/> until it reports done, and <see cref="SyncActivate"/> when every member's barrier
/// for that service has arrived.
/// </summary>
internal interface ISyncService
{
    /// <summary>
    /// A new ring: <paramref name="transitionalMembers"/> are the old members that made it into it (the saved
    /// transitional list intersected with the new members), <paramref name="members"/> the new membership.
    /// The spans are valid only during the call.
    /// </summary>
    void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId);

    /// <summary>Does (more of) this round's work, e.g. multicasts state. True when done; false to be called again.</summary>
    bool SyncProcess();

    /// <summary>Every member finished this service's round: apply the synchronised state.</summary>
    void SyncActivate();

    /// <summary>A configuration change interrupted this service's round before it finished processing.</summary>
    void SyncAbort();
}
