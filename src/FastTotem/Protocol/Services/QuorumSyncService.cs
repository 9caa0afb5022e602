using FastTotem.Wire;

namespace FastTotem.Protocol.Services;

/// <summary>
/// The quorum service (service 3, vsf_quorum.c): it takes part in sync only to hold a round, sends nothing and is
/// done at once; the node still sends that round's barrier.
/// </summary>
internal sealed class QuorumSyncService : ISyncParticipant
{
    public int ServiceId => 3;

    /// <summary>Ring of the last sync round, for the host's quorum notification.</summary>
    public MembRingId RingId { get; private set; }

    public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId) => RingId = ringId;

    public bool SyncProcess() => true;

    public void SyncActivate()
    {
    }

    public void SyncAbort()
    {
    }
}
