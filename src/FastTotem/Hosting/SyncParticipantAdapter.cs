using FastTotem.Protocol.Services;
using FastTotem.Protocol.Sync;
using FastTotem.Wire;

namespace FastTotem.Hosting;

/// <summary>Registers a service participant with the sync engine.</summary>
internal sealed class SyncParticipantAdapter(ISyncParticipant participant) : ISyncService
{
    public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId) =>
        participant.SyncInit(transitionalMembers, members, ringId);

    public bool SyncProcess() => participant.SyncProcess();

    public void SyncActivate() => participant.SyncActivate();

    public void SyncAbort() => participant.SyncAbort();
}
