using FastTotem.Wire;

namespace FastTotem.Protocol.Services;

/// <summary>
/// A service that takes part in sync v2 (the sync_init / sync_process / sync_activate / sync_abort callbacks of
/// struct corosync_service_engine, driven by sync.c). The sync engine calls these in the order sync.c does; every
/// message a participant sends goes into the shared <see cref="ExecOutbox"/>, so its process step only reports
/// done once the host has drained those messages into totempg, which keeps them ahead of the round's barrier.
/// </summary>
public interface ISyncParticipant
{
    /// <summary>The corosync service id (0 cmap, 2 cpg, 3 quorum, 5 votequorum).</summary>
    int ServiceId { get; }

    /// <summary>
    /// A new ring: <paramref name="transitionalMembers"/> is the saved transitional list intersected with the new
    /// members, as sync.c passes it; the spans are only valid during the call.
    /// </summary>
    void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId);

    /// <summary>Sends this service's sync messages; true once they are all out (sync_process returning 0).</summary>
    bool SyncProcess();

    /// <summary>Every member passed the barrier of this service's round.</summary>
    void SyncActivate();

    /// <summary>A configuration change interrupted the round.</summary>
    void SyncAbort();
}
