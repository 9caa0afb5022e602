using System.Buffers.Binary;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Decoders reject bad lengths and counts with a WireError, never an exception, and swap what docs/wire-format.md says.</summary>
public class ServiceDecoderValidationTests
{
    [Fact]
    public void PgPacketLengthRules()
    {
        Assert.Equal(WireError.Truncated, PgPacket.TryParse(new byte[7], false, out _));

        // msg_count points past the payload.
        byte[] p = HexBytes.Parse("00000000 0000 0500 0100");
        Assert.Equal(WireError.CountBeyondPacket, PgPacket.TryParse(p, false, out _));

        // Sum one byte short and one byte long.
        Assert.Equal(WireError.LengthMismatch, PgPacket.TryParse(HexBytes.Parse("00000000 0000 0100 0300 aabb"), false, out _));
        Assert.Equal(WireError.LengthMismatch, PgPacket.TryParse(HexBytes.Parse("00000000 0000 0100 0100 aabb"), false, out _));
        Assert.Equal(WireError.None, PgPacket.TryParse(HexBytes.Parse("00000000 0000 0100 0200 aabb"), false, out _));

        // Foreign-endian twin: count and lengths swap16.
        Assert.Equal(WireError.None, PgPacket.TryParse(HexBytes.Parse("00000000 0000 0001 0002 aabb"), true, out PgPacketView v));
        Assert.Equal(1, v.Count);
        Assert.Equal(2, v.LengthAt(0));
        Assert.Equal(WireError.CountBeyondPacket, PgPacket.TryParse(HexBytes.Parse("00000000 0000 0001 0002 aabb"), false, out _));
    }

    [Fact]
    public void GroupHeaderRules()
    {
        Assert.Equal(WireError.Truncated, PgGroupHeader.TryParse(new byte[1], false, out _));
        Assert.Equal(WireError.CountBeyondPacket, PgGroupHeader.TryParse(HexBytes.Parse("0500 0100"), false, out _));
        Assert.Equal(WireError.CountBeyondPacket, PgGroupHeader.TryParse(HexBytes.Parse("0100 0500 61"), false, out _));
        Assert.Equal(WireError.None, PgGroupHeader.TryParse(HexBytes.Parse("0001 0001 61 ff"), true, out PgGroupHeaderView g));
        Assert.True(g.NameAt(0).SequenceEqual("a"u8));
        Assert.Equal(new byte[] { 0xff }, g.Payload.ToArray());

        byte[] two = new byte[2 + 4 + 5];
        Assert.Equal(WireError.None, PgGroupHeader.TryWrite(two, "async"u8, [1, 4], out int written));
        Assert.Equal(11, written);
        Assert.Equal(HexBytes.Parse("0200 0100 0400 61 73796e63"), two);
        Assert.Equal(WireError.None, PgGroupHeader.TryParse(two, false, out PgGroupHeaderView both));
        Assert.True(both.Contains("sync"u8));
        Assert.True(both.NameAt(1).SequenceEqual("sync"u8));
        Assert.False(both.Contains("syn"u8));
    }

    [Fact]
    public void SyncServiceListEntriesAbove128Rejected()
    {
        byte[] m = new byte[SyncServiceBuildMessage.Size];
        SyncServiceBuildMessage.Create(new MembRingId(1, 5), [0, 2]).TryWrite(m);
        BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(32), 129);
        Assert.Equal(WireError.CountTooLarge, SyncServiceBuildMessage.TryRead(m, out _));
        BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(32), -1);
        Assert.Equal(WireError.CountTooLarge, SyncServiceBuildMessage.TryRead(m, out _));
        BinaryPrimitives.WriteInt32LittleEndian(m.AsSpan(32), 128);
        Assert.Equal(WireError.None, SyncServiceBuildMessage.TryRead(m, out _));
        Assert.Equal(WireError.Truncated, SyncServiceBuildMessage.TryRead(m.AsSpan(0, 551), out _));
        Assert.Equal(WireError.BadField, SyncBarrierMessage.TryRead(m, out _));
    }

    [Fact]
    public void CpgNameLongerThan128Rejected()
    {
        CpgProcJoinMessage join = default;
        join.Header = new QbIpcRequestHeader(0x00020000, CpgProcJoinMessage.Size);
        join.GroupName = MarCpgName.Create("g"u8);
        join.GroupName.Length = 129;
        byte[] b = new byte[CpgProcJoinMessage.Size];
        join.TryWrite(b);
        Assert.Equal(WireError.CountTooLarge, CpgProcJoinMessage.TryRead(b, false, out _));

        CpgMcastMessage mcast = default;
        mcast.GroupName = MarCpgName.Create("g"u8);
        mcast.MsgLen = 4;
        byte[] mb = new byte[CpgMcastMessage.Size + 4];
        Assert.Equal(WireError.None, mcast.TryWrite(mb, new byte[4], out _));
        Assert.Equal(WireError.None, CpgMcastMessage.TryRead(mb, false, out _, out ReadOnlySpan<byte> d));
        Assert.Equal(4, d.Length);
        Assert.Equal(WireError.CountBeyondPacket, CpgMcastMessage.TryRead(mb.AsSpan(0, mb.Length - 1), false, out _, out _));
        BinaryPrimitives.WriteUInt32LittleEndian(mb.AsSpan(16), 200);
        Assert.Equal(WireError.CountTooLarge, CpgMcastMessage.TryRead(mb, false, out _, out _));
    }

    [Fact]
    public void DownlistLeftNodesAbove384Rejected()
    {
        byte[] b = new byte[CpgDownlistMessage.Size];
        CpgDownlistMessage.Create(3, [1]).TryWrite(b);
        Assert.Equal(WireError.None, CpgDownlistMessage.TryRead(b, false, out CpgDownlistMessage ok));
        Assert.Equal(new uint[] { 1 }, ok.Left.ToArray());
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), 385);
        Assert.Equal(WireError.CountTooLarge, CpgDownlistMessage.TryRead(b, false, out _));
        Assert.Equal(WireError.Truncated, CpgDownlistMessage.TryRead(b.AsSpan(0, 1567), false, out _));

        byte[] old = new byte[CpgDownlistOldMessage.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(old.AsSpan(16), 385);
        Assert.Equal(WireError.CountTooLarge, CpgDownlistOldMessage.TryRead(old, out _));
    }

    [Fact]
    public void JoinlistSizeBeyondBufferRejected()
    {
        byte[] b = new byte[CpgJoinList.EncodedLength(2)];
        Assert.Equal(WireError.None, CpgJoinList.TryWriteHeader(b, 2));
        CpgJoinListEntry e = default;
        e.Pid = 11955;
        e.GroupName = MarCpgName.Create("fasttotem"u8);
        CpgJoinList.TryWriteEntry(b, 0, in e);
        e.Pid = 7;
        CpgJoinList.TryWriteEntry(b, 1, in e);

        Assert.Equal(WireError.None, CpgJoinList.TryParse(b, false, out QbIpcResponseHeader h, out int count));
        Assert.Equal((0x00020002, 312, 2), (h.Id, h.MessageSize, count));
        Assert.Equal(WireError.None, CpgJoinList.TryReadEntry(b, 1, false, out CpgJoinListEntry e1));
        Assert.Equal(7u, e1.Pid);
        Assert.Equal(WireError.CountBeyondPacket, CpgJoinList.TryReadEntry(b, 2, false, out _));

        Assert.Equal(WireError.CountBeyondPacket, CpgJoinList.TryParse(b.AsSpan(0, b.Length - 1), false, out _, out _));
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), 24 + 100);
        Assert.Equal(WireError.LengthMismatch, CpgJoinList.TryParse(b, false, out _, out _));
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), 10);
        Assert.Equal(WireError.CountBeyondPacket, CpgJoinList.TryParse(b, false, out _, out _));
    }

    [Fact]
    public void CmapItemRules()
    {
        byte[] m = new byte[CmapMcastHeader.Size + CmapMcastItemHeader.AlignedLength(4)];
        CmapMcastHeader head = default;
        head.Header = new QbIpcRequestHeader(0, m.Length);
        head.NoItems = 1;
        head.TryWrite(m);
        CmapMcastItemHeader item = CmapMcastItemHeader.Create("k"u8, 6, 4);
        System.Runtime.InteropServices.MemoryMarshal.Write(m.AsSpan(CmapMcastHeader.Size), in item);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(CmapMcastHeader.Size + 280), 0x01020304);

        int offset = CmapMcastHeader.Size;
        Span<byte> scratch = stackalloc byte[8];
        Assert.Equal(WireError.None, CmapMcastHeader.TryReadItem(m, ref offset, false, scratch, out CmapMcastItemHeader read, out ReadOnlySpan<byte> value));
        Assert.Equal(m.Length, offset);
        Assert.True(read.Key.SequenceEqual("k"u8));
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(value));

        offset = CmapMcastHeader.Size;
        Assert.Equal(WireError.CountBeyondPacket, CmapMcastHeader.TryReadItem(m.AsSpan(0, m.Length - 1), ref offset, false, scratch, out _, out _));
        BinaryPrimitives.WriteUInt64LittleEndian(m.AsSpan(CmapMcastHeader.Size + 272), 1000);
        offset = CmapMcastHeader.Size;
        Assert.Equal(WireError.CountBeyondPacket, CmapMcastHeader.TryReadItem(m, ref offset, false, scratch, out _, out _));
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(CmapMcastHeader.Size), 256);
        offset = CmapMcastHeader.Size;
        Assert.Equal(WireError.CountTooLarge, CmapMcastHeader.TryReadItem(m, ref offset, false, scratch, out _, out _));
    }

    /// <summary>Foreign-endian twins: swap exactly the fields of docs/wire-format.md's swap columns, decode as foreign, get the same values.</summary>
    [Fact]
    public void ForeignEndianTwinsDecodeToSameValues()
    {
        // nodeinfo: nodeid, votes, expected, flags swap32; header not swapped.
        byte[] n = new byte[32];
        VotequorumNodeInfoMessage.Create(1, 1, 2, 8).TryWrite(n);
        byte[] nt = (byte[])n.Clone();
        for (int off = 16; off < 32; off += 4)
        {
            nt.AsSpan(off, 4).Reverse();
        }

        VotequorumNodeInfoMessage.TryRead(n, false, out VotequorumNodeInfoMessage a);
        VotequorumNodeInfoMessage.TryRead(nt, true, out VotequorumNodeInfoMessage b);
        Assert.Equal((a.NodeId, a.Votes, a.ExpectedVotes, a.Flags), (b.NodeId, b.Votes, b.ExpectedVotes, b.Flags));

        // CPG mcast: header id/size, name length, msglen, pid swapped; source.nodeid is NOT swapped.
        byte[] d = WorkedDecodeTests.D171Payload().AsSpan(15).ToArray();
        byte[] dt = (byte[])d.Clone();
        foreach (int off in new[] { 0, 8, 16, 152, 160 })
        {
            dt.AsSpan(off, 4).Reverse();
        }

        CpgMcastMessage.TryRead(d, false, out CpgMcastMessage m1, out ReadOnlySpan<byte> d1);
        CpgMcastMessage.TryRead(dt, true, out CpgMcastMessage m2, out ReadOnlySpan<byte> d2);
        Assert.Equal((m1.Header.Id, m1.Header.MessageSize, m1.MsgLen, m1.Pid, m1.GroupName.Length), (m2.Header.Id, m2.Header.MessageSize, m2.MsgLen, m2.Pid, m2.GroupName.Length));
        Assert.Equal(m1.Source.NodeId, m2.Source.NodeId);
        Assert.True(d1.SequenceEqual(d2));

        // Downlist: header not swapped; old_members, left_nodes and the first left_nodes ids swapped.
        byte[] dl = new byte[CpgDownlistMessage.Size];
        CpgDownlistMessage.Create(3, [1, 2]).TryWrite(dl);
        byte[] dlt = (byte[])dl.Clone();
        foreach (int off in new[] { 16, 24, 32, 36 })
        {
            dlt.AsSpan(off, 4).Reverse();
        }

        CpgDownlistMessage.TryRead(dlt, true, out CpgDownlistMessage dm);
        Assert.Equal(3u, dm.OldMembers);
        Assert.Equal(new uint[] { 1, 2 }, dm.Left.ToArray());

        // Joinlist: size swapped, each entry's pid and name length.
        byte[] jl = new byte[CpgJoinList.EncodedLength(1)];
        CpgJoinList.TryWriteHeader(jl, 1);
        CpgJoinListEntry e = default;
        e.Pid = 11955;
        e.GroupName = MarCpgName.Create("fasttotem"u8);
        CpgJoinList.TryWriteEntry(jl, 0, in e);
        byte[] jlt = (byte[])jl.Clone();
        foreach (int off in new[] { 8, 24, 32 })
        {
            jlt.AsSpan(off, 4).Reverse();
        }

        Assert.Equal(WireError.None, CpgJoinList.TryParse(jlt, true, out _, out int count));
        Assert.Equal(1, count);
        Assert.Equal(WireError.None, CpgJoinList.TryReadEntry(jlt, 0, true, out CpgJoinListEntry et));
        Assert.Equal(11955u, et.Pid);
        Assert.True(et.GroupName.Name.SequenceEqual("fasttotem"u8));

        // cmap: header id/size, key length (u16), value_len (u64), and the value by type.
        byte[] cm = new byte[CmapMcastHeader.Size + CmapMcastItemHeader.AlignedLength(8)];
        CmapMcastItemHeader item = CmapMcastItemHeader.Create("totem.config_version"u8, 8, 8);
        System.Runtime.InteropServices.MemoryMarshal.Write(cm.AsSpan(CmapMcastHeader.Size), in item);
        BinaryPrimitives.WriteUInt64LittleEndian(cm.AsSpan(CmapMcastHeader.Size + 280), 42);
        byte[] cmt = (byte[])cm.Clone();
        cmt.AsSpan(CmapMcastHeader.Size, 2).Reverse();
        cmt.AsSpan(CmapMcastHeader.Size + 272, 8).Reverse();
        cmt.AsSpan(CmapMcastHeader.Size + 280, 8).Reverse();
        int offset = CmapMcastHeader.Size;
        Span<byte> scratch = stackalloc byte[8];
        Assert.Equal(WireError.None, CmapMcastHeader.TryReadItem(cmt, ref offset, true, scratch, out CmapMcastItemHeader ci, out ReadOnlySpan<byte> cv));
        Assert.True(ci.Key.SequenceEqual("totem.config_version"u8));
        Assert.Equal(42UL, BinaryPrimitives.ReadUInt64LittleEndian(cv));
    }

    /// <summary>Seeded random bytes never throw from any decoder.</summary>
    [Fact]
    public void RandomBytesNeverThrow()
    {
        int seed = Environment.TickCount;
        Console.WriteLine($"RandomBytesNeverThrow seed={seed}");
        var random = new Random(seed);
        byte[] buffer = new byte[2048];
        Span<byte> scratch = stackalloc byte[8];
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length >= 2 && random.Next(2) == 0)
            {
                buffer[0] = (byte)random.Next(4);
                buffer[1] = 0;
            }

            ReadOnlySpan<byte> s = buffer.AsSpan(0, length);
            bool foreign = random.Next(2) == 0;
            if (PgPacket.TryParse(s, foreign, out PgPacketView p) == WireError.None)
            {
                for (int k = 0; k < p.Count; k++)
                {
                    _ = p.LengthAt(k);
                }
            }

            if (PgGroupHeader.TryParse(s, foreign, out PgGroupHeaderView g) == WireError.None)
            {
                _ = g.Contains("a"u8);
                _ = g.Payload.Length;
            }

            SyncServiceBuildMessage.TryRead(s, out _);
            SyncBarrierMessage.TryRead(s, out _);
            CpgProcJoinMessage.TryRead(s, foreign, out _);
            CpgMcastMessage.TryRead(s, foreign, out _, out _);
            CpgPartialMcastMessage.TryRead(s, foreign, out _, out _);
            CpgDownlistMessage.TryRead(s, foreign, out _);
            CpgDownlistOldMessage.TryRead(s, out _);
            if (CpgJoinList.TryParse(s, foreign, out _, out int entries) == WireError.None)
            {
                for (int k = 0; k < entries; k++)
                {
                    CpgJoinList.TryReadEntry(s, k, foreign, out _);
                }
            }

            VotequorumNodeInfoMessage.TryRead(s, foreign, out _);
            VotequorumReconfigureMessage.TryRead(s, foreign, out _);
            VotequorumQdeviceRegMessage.TryRead(s, foreign, out _);
            VotequorumQdeviceReconfigureMessage.TryRead(s, out _);
            if (CmapMcastHeader.TryRead(s, foreign, out _) == WireError.None)
            {
                int offset = CmapMcastHeader.Size;
                while (CmapMcastHeader.TryReadItem(s, ref offset, foreign, scratch, out _, out _) == WireError.None)
                {
                }
            }
        }
    }
}
