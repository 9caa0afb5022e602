using System.Runtime.InteropServices;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Sync;
using FastTotem.Tests.Wire;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Sync;

/// <summary>
/// The sync engine, packer, assembler and groups composed as a singleton ring: with stub services that send what
/// corosync's cmap, cpg, quorum and votequorum send in their sync_process, node 1 produces the payloads of its
/// singleton sync in capture a (frames 3–15) byte for byte, packing and barrier timing included.
/// </summary>
public class SyncStackCaptureTests
{
    private sealed class SendingService(PgPacker packer, Action<PgPacker>? send) : ISyncService
    {
        public int Activations { get; private set; }

        public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
        {
        }

        public bool SyncProcess()
        {
            send?.Invoke(packer);
            return true;
        }

        public void SyncActivate() => Activations++;

        public void SyncAbort()
        {
        }
    }

    private sealed class ExecCollector : IPgGroupHandler
    {
        public List<byte[]> Messages { get; } = new();

        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Messages.Add(payload.ToArray());
    }

    private static byte[] Bytes<T>(in T value)
        where T : unmanaged
    {
        byte[] b = new byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(b, in value);
        return b;
    }

    [Fact]
    public void SingletonSyncOfCaptureANode1()
    {
        var ring = new MembRingId(1, 5);
        var packer = new PgPacker();
        var assembler = new PgAssembler(4);
        var groups = new PgGroups();
        var sync = new SyncEngine();
        var exec = new ExecCollector();

        CmapMcastHeader cmap = default;
        cmap.Header = new QbIpcRequestHeader(0, CmapMcastHeader.Size + CmapMcastItemHeader.AlignedLength(0));
        cmap.NoItems = 1;
        byte[] cmapHead = Bytes(cmap);
        byte[] cmapItem = Bytes(CmapMcastItemHeader.Create("totem.config_version"u8, CmapMcastItemHeader.ValueTypeNotExist, 0));
        byte[] downlist = Bytes(CpgDownlistMessage.Create(0, []));
        byte[] nodeInfo = Bytes(VotequorumNodeInfoMessage.Create(1, 1, 2, VotequorumNodeInfoMessage.FlagFirst));
        byte[] qdeviceSlot = Bytes(VotequorumNodeInfoMessage.Create(0, 0, 0, 0));

        var services = new[]
        {
            (Id: 0, Service: new SendingService(packer, p => p.TrySend(PgGroupSet.Services, cmapHead, cmapItem))),
            (Id: 2, Service: new SendingService(packer, p => p.TrySend(PgGroupSet.Services, downlist))),
            (Id: 3, Service: new SendingService(packer, null)),
            (Id: 5, Service: new SendingService(packer, p =>
            {
                p.TrySend(PgGroupSet.Services, nodeInfo);
                p.TrySend(PgGroupSet.Services, qdeviceSlot);
            })),
        };
        foreach ((int id, SendingService service) in services)
        {
            sync.RegisterService(id, service, "s" + id);
        }

        groups.Join(groups.AddInstance(sync), "sync"u8);
        groups.Join(groups.AddInstance(exec), "a"u8);

        var produced = new List<byte[]>();
        byte[] packet = new byte[packer.PacketSizeMax];
        byte[] syncMessage = new byte[SyncServiceBuildMessage.Size];
        var completed = new List<SyncEvent>();

        void MoveSyncOutbox()
        {
            while (sync.TryTakeMessage(syncMessage, out int length))
            {
                Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Sync, syncMessage.AsSpan(0, length)));
            }
        }

        // One token visit of a singleton ring: flush, send, and deliver to ourselves in order; then the
        // scheduled sync work runs and its sends wait for the next visit.
        void TokenVisit()
        {
            packer.HandleTokenReceived();
            while (packer.TryTakePacket(packet, out int length))
            {
                produced.Add(packet.AsSpan(0, length).ToArray());
                Assert.Equal(PgReceiveResult.Accepted, assembler.HandlePacket(1, packet.AsSpan(0, length), false, groups));
            }

            while (sync.PollProcess())
            {
            }

            MoveSyncOutbox();
            while (sync.TryPollEvent(out SyncEvent e))
            {
                completed.Add(e);
            }
        }

        // votequorum announces itself when the service starts, before the ring's sync.
        packer.TrySend(PgGroupSet.Services, nodeInfo);
        TokenVisit();

        sync.HandleConfigurationChange(false, [1], ring);
        sync.HandleConfigurationChange(true, [1], ring);
        MoveSyncOutbox();
        for (int i = 0; i < 10; i++)
        {
            TokenVisit();
        }

        List<byte[]> expected = PgCaptureStream.Load("a-2node-formation")
            .Where(f => !f.Encapsulated && f.Header.Header.NodeId == 1 && f.Header.RingId == ring)
            .Select(f => f.Payload)
            .ToList();
        Assert.Equal(8, expected.Count);
        Assert.Equal(expected, produced);
        Assert.Equal([new SyncEvent(ring)], completed);
        Assert.All(services, s => Assert.Equal(1, s.Service.Activations));
        Assert.Equal(5, exec.Messages.Count);
    }
}
