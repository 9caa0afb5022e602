using System.Text;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>The worked decodes of docs/wire-format.md §16, as byte literals: decode, check fields, re-encode byte for byte.</summary>
public class WorkedDecodeTests
{
    /// <summary>a#5 from offset 0x2d: totempg msg_len [560], group "sync", service_build ring 1.5 [0,2,3,5].</summary>
    internal static byte[] A5Payload() => HexBytes.Concat(
        HexBytes.Parse("00000000 00 00 0100 3002"),
        HexBytes.Parse("0100 0400 73796e63"),
        HexBytes.Parse("01000000 00000000 28020000 00000000"),
        HexBytes.Parse("01000000 0500000000000000 | 00000000 | 04000000 | 00000000"),
        HexBytes.Parse("00000000 02000000 03000000 05000000"),
        HexBytes.Zeros(512 - 16));

    /// <summary>a#15 from offset 0x2d: [37,37,40] = nodeinfo(1), nodeinfo(0), barrier 1.5.</summary>
    internal static byte[] A15Payload() => HexBytes.Concat(
        HexBytes.Parse("00000000 00 00 0300 2500 2500 2800"),
        HexBytes.Parse("0100 0100 61"),
        HexBytes.Parse("00000500 00000000 20000000 00000000 01000000 01000000 02000000 08000000"),
        HexBytes.Parse("0100 0100 61"),
        HexBytes.Parse("00000500 00000000 20000000 00000000 00000000 00000000 00000000 00000000"),
        HexBytes.Parse("0100 0400 73796e63"),
        HexBytes.Parse("00000000 00000000 20000000 00000000 01000000 0500000000000000 00000000"));

    /// <summary>d#171 from offset 0x2d: one CPG mcast of 10 bytes.</summary>
    internal static byte[] D171Payload() => HexBytes.Concat(
        HexBytes.Parse("0000 0000 00 00 0100 c700"),
        HexBytes.Parse("0100 0100 61"),
        HexBytes.Parse("03000200 00000000 c2000000 00000000"),
        HexBytes.Parse("09000000 00000000"), Encoding.ASCII.GetBytes("fasttotem"), HexBytes.Zeros(119),
        HexBytes.Parse("0a000000 00000000 | b32e0000 00000000 | 01000000 00000000 | 503f91db8a550000"),
        HexBytes.Fill(8, 0x41), HexBytes.Parse("08 09"));

    /// <summary>e#79 from offset 0x2d: the first fragment of the partial_mcast FIRST piece, junk in the padding.</summary>
    internal static byte[] E79Payload()
    {
        byte[] exec = HexBytes.Concat(
            HexBytes.Parse("06000200 fc7f0000 c8fc0f00 cd550000"),
            HexBytes.Parse("09000000 00000000"), Encoding.ASCII.GetBytes("fasttotem"), HexBytes.Zeros(119),
            HexBytes.Parse("00001000 fc7f0000 | 00fc0f00 cd550000 | 1c350000 fc7f0000 | 01000000 cd550000"),
            HexBytes.Parse("01000000 00000000 | f01e7785cd550000"));
        return HexBytes.Concat(
            HexBytes.Parse("0000 0000 01 00 0100 7805"),
            HexBytes.Parse("0100 0100 61"),
            exec,
            HexBytes.Fill(1400 - 5 - exec.Length, 0x5a));
    }

    [Fact]
    public void A5ServiceBuild()
    {
        byte[] payload = A5Payload();
        Assert.Equal(570, payload.Length);
        Assert.Equal(WireError.None, PgPacket.TryParse(payload, false, out PgPacketView packet));
        Assert.Equal(1, packet.Count);
        Assert.Equal(560, packet.LengthAt(0));
        Assert.Equal(0, packet.Fragmented);

        Assert.Equal(WireError.None, PgGroupHeader.TryParse(packet.Data, false, out PgGroupHeaderView group));
        Assert.Equal(1, group.Count);
        Assert.True(group.NameAt(0).SequenceEqual("sync"u8));
        Assert.Equal(8, group.HeaderLength);

        Assert.Equal(WireError.None, SyncServiceBuildMessage.TryRead(group.Payload, out SyncServiceBuildMessage build));
        Assert.Equal(552, build.Header.MessageSize);
        Assert.Equal(new MembRingId(1, 5), build.RingId);
        Assert.Equal(new[] { 0, 2, 3, 5 }, build.Services.ToArray());

        byte[] again = new byte[552];
        Assert.Equal(WireError.None, build.TryWrite(again));
        Assert.Equal(group.Payload.ToArray(), again);

        byte[] built = new byte[552];
        Assert.Equal(WireError.None, SyncServiceBuildMessage.Create(new MembRingId(1, 5), [0, 2, 3, 5]).TryWrite(built));
        Assert.Equal(again, built);
    }

    [Fact]
    public void A15ThreePackedMessages()
    {
        byte[] payload = A15Payload();
        Assert.Equal(128, payload.Length);
        Assert.Equal(WireError.None, PgPacket.TryParse(payload, false, out PgPacketView packet));
        Assert.Equal(3, packet.Count);
        Assert.Equal(new[] { 37, 37, 40 }, new[] { packet.LengthAt(0), packet.LengthAt(1), packet.LengthAt(2) });

        ReadOnlySpan<byte> data = packet.Data;
        Assert.Equal(WireError.None, PgGroupHeader.TryParse(data.Slice(0, 37), false, out PgGroupHeaderView g0));
        Assert.True(g0.Contains("a"u8));
        Assert.Equal(WireError.None, VotequorumNodeInfoMessage.TryRead(g0.Payload, false, out VotequorumNodeInfoMessage n1));
        Assert.Equal((5, 0), (n1.Header.ServiceId, n1.Header.FunctionId));
        Assert.Equal((1u, 1u, 2u, 8u), (n1.NodeId, n1.Votes, n1.ExpectedVotes, n1.Flags));

        Assert.Equal(WireError.None, PgGroupHeader.TryParse(data.Slice(37, 37), false, out PgGroupHeaderView g1));
        Assert.Equal(WireError.None, VotequorumNodeInfoMessage.TryRead(g1.Payload, false, out VotequorumNodeInfoMessage n0));
        Assert.Equal((0u, 0u, 0u, 0u), (n0.NodeId, n0.Votes, n0.ExpectedVotes, n0.Flags));

        Assert.Equal(WireError.None, PgGroupHeader.TryParse(data.Slice(74, 40), false, out PgGroupHeaderView g2));
        Assert.True(g2.Contains("sync"u8));
        Assert.False(g2.Contains("a"u8));
        Assert.Equal(WireError.None, SyncBarrierMessage.TryRead(g2.Payload, out SyncBarrierMessage barrier));
        Assert.Equal(new MembRingId(1, 5), barrier.RingId);

        byte[] b = new byte[32];
        SyncBarrierMessage.Create(new MembRingId(1, 5)).TryWrite(b);
        Assert.Equal(g2.Payload.ToArray(), b);
        byte[] n = new byte[32];
        VotequorumNodeInfoMessage.Create(1, 1, 2, VotequorumNodeInfoMessage.FlagFirst).TryWrite(n);
        Assert.Equal(g0.Payload.ToArray(), n);

        // Re-encode the whole packet from its parts.
        byte[] packed = new byte[payload.Length];
        Assert.Equal(WireError.None, PgPacket.TryWrite(packed, 0, 0, [37, 37, 40], data, out int written));
        Assert.Equal(payload.Length, written);
        Assert.Equal(payload, packed);
    }

    [Fact]
    public void D171CpgMcast()
    {
        byte[] payload = D171Payload();
        Assert.Equal(209, payload.Length);
        Assert.Equal(WireError.None, PgPacket.TryParse(payload, false, out PgPacketView packet));
        Assert.Equal(199, packet.LengthAt(0));
        Assert.Equal(WireError.None, PgGroupHeader.TryParse(packet.Data, false, out PgGroupHeaderView group));
        Assert.Equal(WireError.None, QbIpcRequestHeader.TryReadId(group.Payload, false, out int id));
        Assert.Equal(0x00020003, id);
        Assert.Equal(WireError.None, CpgMcastMessage.TryRead(group.Payload, false, out CpgMcastMessage m, out ReadOnlySpan<byte> data));
        Assert.Equal(194, m.Header.MessageSize);
        Assert.True(m.GroupName.Name.SequenceEqual("fasttotem"u8));
        Assert.Equal(10u, m.MsgLen);
        Assert.Equal(11955u, m.Pid);
        Assert.Equal(1u, m.Source.NodeId);
        Assert.Equal(0x0000558adb913f50UL, m.Source.Conn);
        Assert.True(data.SequenceEqual("AAAAAAAA\x08\x09"u8));

        byte[] again = new byte[194];
        Assert.Equal(WireError.None, m.TryWrite(again, data, out int written));
        Assert.Equal(194, written);
        Assert.Equal(group.Payload.ToArray(), again);
    }

    [Fact]
    public void E79PartialMcastWithJunkPadding()
    {
        byte[] payload = E79Payload();
        Assert.Equal(1410, payload.Length);
        Assert.Equal(WireError.None, PgPacket.TryParse(payload, false, out PgPacketView packet));
        Assert.Equal((1, 0, 1400), ((int)packet.Fragmented, (int)packet.Continuation, packet.LengthAt(0)));

        Assert.Equal(WireError.None, PgGroupHeader.TryParse(packet.Data, false, out PgGroupHeaderView group));
        ReadOnlySpan<byte> exec = group.Payload;

        // Only the first 1395 bytes of the 1047752-byte message are here: the piece length does not fit.
        Assert.Equal(WireError.CountBeyondPacket, CpgPartialMcastMessage.TryRead(exec, false, out CpgPartialMcastMessage m, out _));
        Assert.Equal(0x00020006, m.Header.Id);
        Assert.Equal(1047752, m.Header.MessageSize);
        Assert.Equal(0x00007ffcu, m.Header.Pad4);
        Assert.Equal(1048576u, m.MsgLen);
        Assert.Equal(1047552u, m.FragLen);
        Assert.Equal(13596u, m.Pid);
        Assert.Equal(CpgPartialMcastMessage.TypeFirst, m.Type);
        Assert.Equal(1u, m.Source.NodeId);

        // The header alone re-encodes byte for byte, junk padding included.
        byte[] header = new byte[CpgPartialMcastMessage.Size];
        System.Runtime.InteropServices.MemoryMarshal.Write(header, in m);
        Assert.Equal(exec.Slice(0, CpgPartialMcastMessage.Size).ToArray(), header);
    }

    [Fact]
    public void D388To392FragmentHeaders()
    {
        (byte f, byte c, int len)[] frames = [(1, 0, 1400), (2, 1, 1400), (0, 2, 389)];
        foreach ((byte f, byte c, int len) in frames)
        {
            byte[] payload = new byte[8 + 2 + len];
            Assert.Equal(WireError.None, PgPacket.TryWrite(payload, f, c, [(ushort)len], new byte[len], out int written));
            Assert.Equal(payload.Length, written);
            Assert.Equal(WireError.None, PgPacket.TryParse(payload, false, out PgPacketView view));
            Assert.Equal((f, c, len), (view.Fragmented, view.Continuation, view.LengthAt(0)));
        }

        Assert.Equal(3189, 1400 + 1400 + 389);
        Assert.Equal(3189, 5 + CpgMcastMessage.Size + 3000);
    }
}
