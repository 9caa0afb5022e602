using FastTotem.Wire;

namespace FastTotem.Protocol.Sync;

/// <summary>
/// How FastTotem nodes recognise each other in sync v2 (docs/accelerated-ring.md): a node with the accelerated ring on
/// lists one extra service id in its service_build. corosync's ids are 0 to 7; a corosync 3.1.7 daemon gives an id it
/// does not run a no-op entry (sync.c sync_service_build_handler: no init, a process step that is done at once, an
/// empty activate) and takes part in its barrier round, as every member does. After the synchronisation the ring is
/// made only of such nodes when every member's list carried the id.
/// </summary>
internal static class SyncCapability
{
    /// <summary>The id announced by nodes with the accelerated ring on: above corosync's 0-7, below the daemon's 64 slots.</summary>
    public const int AcceleratedRingServiceId = 48;

    public const string AcceleratedRingName = "fasttotem accelerated ring capability";

    /// <summary>The service behind the id: it has nothing to synchronise.</summary>
    public static readonly ISyncService NoOp = new NoOpService();

    private sealed class NoOpService : ISyncService
    {
        public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
        {
        }

        public bool SyncProcess() => true;

        public void SyncActivate()
        {
        }

        public void SyncAbort()
        {
        }
    }
}
