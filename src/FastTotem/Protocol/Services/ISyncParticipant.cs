using FastTotem.Protocol.Sync;

namespace FastTotem.Protocol.Services;

/// <summary>
/// A service that takes part in sync v2 under its corosync service id, registered with the
/// <see cref="SyncEngine"/> (<c>engine.RegisterService(p.ServiceId, p, name)</c>). Every message a participant sends
/// goes into the shared <see cref="ExecOutbox"/>; its <see cref="ISyncService.SyncProcess"/> reports done only once
/// the host has drained those messages into totempg, which keeps them ahead of the round's barrier.
/// </summary>
internal interface ISyncParticipant : ISyncService
{
    /// <summary>The corosync service id (0 cmap, 2 cpg, 3 quorum, 5 votequorum).</summary>
    int ServiceId { get; }
}
