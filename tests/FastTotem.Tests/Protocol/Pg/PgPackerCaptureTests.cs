using System.Runtime.InteropServices;
using FastTotem.Protocol.Pg;
using FastTotem.Tests.Wire;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Pg;

/// <summary>
/// Given the same application sends, in the same order, split at the same token visits as a captured corosync
/// node made them, the packer produces the same mcast payloads byte for byte.
/// </summary>
public class PgPackerCaptureTests
{
    private static List<byte[]> Drain(PgPacker packer)
    {
        var packets = new List<byte[]>();
        byte[] buffer = new byte[packer.PacketSizeMax];
        while (packer.TryTakePacket(buffer, out int length))
        {
            packets.Add(buffer.AsSpan(0, length).ToArray());
        }

        return packets;
    }

    private static List<byte[]> Token(PgPacker packer)
    {
        packer.HandleTokenReceived();
        return Drain(packer);
    }

    private static byte[] Bytes<T>(in T value)
        where T : unmanaged
    {
        byte[] b = new byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(b, in value);
        return b;
    }

    private static List<byte[]> Captured(string name, uint node, MembRingId ring, int firstFrame, int lastFrame) =>
        PgCaptureStream.Load(name)
            .Where(f => !f.Encapsulated && f.Header.Header.NodeId == node && f.Header.RingId == ring && f.Frame >= firstFrame && f.Frame <= lastFrame)
            .Select(f => f.Payload)
            .ToList();

    [Fact]
    public void A3ToA15Node1SingletonSync()
    {
        var ring = new MembRingId(1, 5);
        var packer = new PgPacker();
        var produced = new List<byte[]>();

        // seq 1: votequorum nodeinfo at service start.
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, Bytes(VotequorumNodeInfoMessage.Create(1, 1, 2, VotequorumNodeInfoMessage.FlagFirst))));
        produced.AddRange(Token(packer));

        // seq 2: sync service_build.
        byte[] build = new byte[SyncServiceBuildMessage.Size];
        SyncServiceBuildMessage.Create(ring, [0, 2, 3, 5]).TryWrite(build);
        packer.TrySend(PgGroupSet.Sync, build);
        produced.AddRange(Token(packer));

        // seq 3: cmap mcast (header and item are separate iovecs in cmap_mcast_send) + barrier, packed.
        CmapMcastHeader cmap = default;
        cmap.Header = new QbIpcRequestHeader(0, CmapMcastHeader.Size + CmapMcastItemHeader.AlignedLength(0));
        cmap.NoItems = 1;
        CmapMcastItemHeader item = CmapMcastItemHeader.Create("totem.config_version"u8, CmapMcastItemHeader.ValueTypeNotExist, 0);
        packer.TrySend(PgGroupSet.Services, Bytes(cmap), Bytes(item));
        byte[] barrier = Bytes(SyncBarrierMessage.Create(ring));
        packer.TrySend(PgGroupSet.Sync, barrier);
        Assert.Equal(2, packer.PackedMessages);
        produced.AddRange(Token(packer));

        // seq 4-5: cpg downlist, fragmented 1400 + 173 and sent at once; then the cpg round's barrier (seq 6).
        packer.TrySend(PgGroupSet.Services, Bytes(CpgDownlistMessage.Create(0, [])));
        Assert.Equal(2, packer.QueuedPackets);
        packer.TrySend(PgGroupSet.Sync, barrier);
        produced.AddRange(Token(packer));

        // seq 7: the quorum round's barrier.
        packer.TrySend(PgGroupSet.Sync, barrier);
        produced.AddRange(Token(packer));

        // seq 8: nodeinfo(1), nodeinfo(0), barrier packed.
        packer.TrySend(PgGroupSet.Services, Bytes(VotequorumNodeInfoMessage.Create(1, 1, 2, VotequorumNodeInfoMessage.FlagFirst)));
        packer.TrySend(PgGroupSet.Services, Bytes(VotequorumNodeInfoMessage.Create(0, 0, 0, 0)));
        packer.TrySend(PgGroupSet.Sync, barrier);
        produced.AddRange(Token(packer));

        List<byte[]> expected = Captured("a-2node-formation", 1, ring, 3, 15);
        Assert.Equal(8, expected.Count);
        Assert.Equal(expected, produced);
    }

    [Fact]
    public void D564JoinlistAndBarrierPacked()
    {
        PgCaptureStream.McastFrame frame = PgCaptureStream.Load("d-cpg-traffic").Single(f => f.Frame == 564);
        PgPacket.TryParse(frame.Payload, false, out PgPacketView p);
        PgGroupHeader.TryParse(p.Data.Slice(0, 173), false, out PgGroupHeaderView joinlist);
        PgGroupHeader.TryParse(p.Data.Slice(173, 40), false, out PgGroupHeaderView barrier);

        var packer = new PgPacker();
        packer.TrySend(PgGroupSet.Services, joinlist.Payload);
        packer.TrySend(PgGroupSet.Sync, barrier.Payload);
        Assert.Equal(frame.Payload, Assert.Single(Token(packer)));
    }

    [Fact]
    public void D388To392FragmentationOf3189Bytes()
    {
        List<PgCaptureStream.McastFrame> frames = PgCaptureStream.Load("d-cpg-traffic");
        List<byte[]> expected = [.. new[] { 388, 390, 392 }.Select(n => frames.Single(f => f.Frame == n).Payload)];
        byte[] message = [.. expected.SelectMany(e => { PgPacket.TryParse(e, false, out PgPacketView v); return v.Data.ToArray(); })];
        Assert.Equal(3189, message.Length);
        PgGroupHeader.TryParse(message, false, out PgGroupHeaderView g);
        ReadOnlySpan<byte> exec = g.Payload;

        // cpg sends its header and the application data as two iovecs.
        var packer = new PgPacker();
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, exec.Slice(0, CpgMcastMessage.Size), exec.Slice(CpgMcastMessage.Size)));
        Assert.Equal(3, packer.QueuedPackets);
        Assert.Equal(0, packer.PackedMessages);
        Assert.Equal(expected, Drain(packer));
    }

    [Fact]
    public void ADownlistIsAlways1400Plus173()
    {
        var packer = new PgPacker();
        packer.TrySend(PgGroupSet.Services, Bytes(CpgDownlistMessage.Create(3, [1])));
        List<byte[]> packets = Drain(packer);
        Assert.Equal(2, packets.Count);
        PgPacket.TryParse(packets[0], false, out PgPacketView first);
        PgPacket.TryParse(packets[1], false, out PgPacketView second);
        Assert.Equal((1, 0, 1400), ((int)first.Fragmented, (int)first.Continuation, first.LengthAt(0)));
        Assert.Equal((0, 1, 173), ((int)second.Fragmented, (int)second.Continuation, second.LengthAt(0)));
    }

    [Fact]
    public void EMegabytePieceWithCounterWrapThenLastPieceAlone()
    {
        List<PgCaptureStream.McastFrame> frames = PgCaptureStream.Load("e-cpg-partial-mcast");
        List<byte[]> expected = frames.Where(f => f.Frame >= 79 && f.Frame <= 915).Select(f => f.Payload).ToList();
        byte[] message = [.. expected.SelectMany(e => { PgPacket.TryParse(e, false, out PgPacketView v); return v.Data.ToArray(); })];
        Assert.Equal(1_047_757, message.Length);
        PgGroupHeader.TryParse(message, false, out PgGroupHeaderView g);
        byte[] exec = g.Payload.ToArray();

        var packer = new PgPacker();
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, exec.AsSpan(0, CpgPartialMcastMessage.Size), exec.AsSpan(CpgPartialMcastMessage.Size)));
        List<byte[]> produced = Drain(packer);
        Assert.Equal(expected.Count, produced.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(produced[i]), $"packet {i} differs");
        }

        // The LAST piece (frame 916) is small: buffered, then sent alone with continuation 0.
        PgCaptureStream.McastFrame last = frames.Single(f => f.Frame == 916);
        PgPacket.TryParse(last.Payload, false, out PgPacketView lv);
        PgGroupHeader.TryParse(lv.Data, false, out PgGroupHeaderView lg);
        packer.TrySend(PgGroupSet.Services, lg.Payload.Slice(0, CpgPartialMcastMessage.Size), lg.Payload.Slice(CpgPartialMcastMessage.Size));
        Assert.Equal(0, packer.QueuedPackets);
        Assert.Equal(last.Payload, Assert.Single(Token(packer)));
    }
}
