using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Encoder behaviour beyond round trips: building messages from scratch and in-place payloads.</summary>
public class SrpEncodeTests
{
    [Fact]
    public void McastPayloadAlreadyInPlaceIsKept()
    {
        byte[] expected = SrpWorkedDecodeTests.D171Mcast;
        Assert.Equal(WireError.None, McastCodec.TryDecode(expected, out McastHeader header, out ReadOnlySpan<byte> payload, out _));

        // The engine may build the payload at destination[45..] and then add the header.
        byte[] frame = new byte[expected.Length];
        payload.CopyTo(frame.AsSpan(McastHeader.Size));
        Assert.Equal(WireError.None, McastCodec.TryEncode(header, frame.AsSpan(McastHeader.Size, payload.Length), frame, out int written));
        Assert.Equal(expected.Length, written);
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void McastPayloadAtTheStartOfTheDestinationIsMovedNotClobbered()
    {
        byte[] expected = SrpWorkedDecodeTests.D171Mcast;
        Assert.Equal(WireError.None, McastCodec.TryDecode(expected, out McastHeader header, out ReadOnlySpan<byte> payload, out _));

        byte[] frame = new byte[expected.Length];
        payload.CopyTo(frame);
        Assert.Equal(WireError.None, McastCodec.TryEncode(header, frame.AsSpan(0, payload.Length), frame, out int written));
        Assert.Equal(expected.Length, written);
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void EncapsulatingAStoredMcastReproducesF1073()
    {
        // A recovery re-send wraps the stored old-ring mcast byte for byte (docs/wire-format.md §5.2.1).
        byte[] expected = SrpWorkedDecodeTests.F1073Encapsulated;
        byte[] stored = expected.AsSpan(McastHeader.Size).ToArray();
        var outer = new McastHeader
        {
            Header = new TotemHeader(MessageType.Mcast, 2, TotemHeader.Encapsulated),
            SystemFrom = 2,
            Seq = 1,
            ThisSeqno = 21,
            RingId = new MembRingId(2, 13),
        };

        byte[] frame = new byte[1500];
        Assert.Equal(WireError.None, McastCodec.TryEncode(outer, stored, frame, out int written));
        Assert.Equal(expected, frame.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void BuildingTheInitialTokenFromScratchReproducesA40ExceptTheJunkTarget()
    {
        var token = new OrfToken
        {
            Header = new TotemHeader(MessageType.OrfToken, 1),
            Aru = uint.MaxValue,
            AruAddr = 1,
            RingId = new MembRingId(1, 9),
        };

        byte[] frame = new byte[OrfToken.Size];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(token, default, frame, out int written));
        Assert.Equal(OrfToken.Size, written);

        byte[] expected = SrpWorkedDecodeTests.A40Token.ToArray();
        expected.AsSpan(9, 4).Clear(); // we send target_nodeid 0 where corosync leaves junk
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void BuildingTheLeaveFromScratchReproducesG11()
    {
        var leave = new MembJoin
        {
            Header = new TotemHeader(MessageType.MembJoin, 0),
            SystemFrom = 3,
            ProcListEntries = 99, // ignored: counts come from the lists
            RingSeq = 9,
        };

        byte[] frame = new byte[64];
        Assert.Equal(WireError.None, MembJoinCodec.TryEncode(leave, [1u, 2u], [3u], frame, out int written));
        Assert.Equal(SrpWorkedDecodeTests.G11Leave, frame.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void BuildingTheCommitTokenFromScratchReproducesA36()
    {
        var token = new MembCommitToken
        {
            Header = new TotemHeader(MessageType.MembCommitToken, 1),
            TokenSeq = 1,
            RingId = new MembRingId(1, 9),
            MembIndex = 1,
        };
        MembCommitTokenMembEntry[] entries = [new(new MembRingId(1, 5), 8, 8, 1), default];

        byte[] frame = new byte[200];
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryEncode(token, [1u, 2u], entries, frame, out int written));
        Assert.Equal(SrpWorkedDecodeTests.A36Commit, frame.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void FullTokenOfThirtyRtrItemsRoundTrips()
    {
        var rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
        for (int i = 0; i < rtr.Length; i++)
        {
            rtr[i] = new RtrItem(new MembRingId(1, 9), (uint)(100 + i));
        }

        var token = new OrfToken { Header = new TotemHeader(MessageType.OrfToken, 2), Seq = 200, RingId = new MembRingId(1, 9) };
        byte[] frame = new byte[WireLimits.OrfTokenLengthMax];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(token, rtr, frame, out int written));
        Assert.Equal(57 + 16 * 30, written);

        var decoded = new RtrItem[WireLimits.RetransmitEntriesMax];
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(frame.AsSpan(0, written), out OrfToken back, decoded));
        Assert.Equal(30, back.RtrListEntries);
        Assert.Equal(200u, back.Seq);
        Assert.Equal(rtr, decoded);

        byte[] twin = ForeignEndianTwin.Build(frame.AsSpan(0, written));
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(twin, out OrfToken twinBack, decoded));
        Assert.Equal(back, twinBack);
        Assert.Equal(rtr, decoded);
    }

    [Fact]
    public void LargestJoinAndCommitTokenRoundTrip()
    {
        var proc = new uint[WireLimits.ProcessorCountMax];
        var failed = new uint[WireLimits.ProcessorCountMax];
        var entries = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];
        for (int i = 0; i < proc.Length; i++)
        {
            proc[i] = (uint)(i + 1);
            failed[i] = (uint)(1000 + i);
            entries[i] = new MembCommitTokenMembEntry(new MembRingId((uint)(i + 1), 5), (uint)i, (uint)i, 1);
        }

        byte[] frame = new byte[MembCommitTokenCodec.GetEncodedLength(WireLimits.ProcessorCountMax)];
        var join = new MembJoin { Header = new TotemHeader(MessageType.MembJoin, 7), SystemFrom = 7, RingSeq = 44 };
        Assert.Equal(WireError.None, MembJoinCodec.TryEncode(join, proc, failed, frame, out int written));
        Assert.Equal(33 + 4 * 768, written);
        var procBack = new uint[WireLimits.ProcessorCountMax];
        var failedBack = new uint[WireLimits.ProcessorCountMax];
        byte[] twin = ForeignEndianTwin.Build(frame.AsSpan(0, written));
        Assert.Equal(WireError.None, MembJoinCodec.TryDecode(twin, out MembJoin joinBack, procBack, failedBack));
        Assert.Equal(384u, joinBack.ProcListEntries);
        Assert.Equal(44ul, joinBack.RingSeq);
        Assert.Equal(proc, procBack);
        Assert.Equal(failed, failedBack);

        var commit = new MembCommitToken { Header = new TotemHeader(MessageType.MembCommitToken, 1), RingId = new MembRingId(1, 48), MembIndex = 384 };
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryEncode(commit, proc, entries, frame, out written));
        Assert.Equal(41 + 28 * 384, written);
        var entriesBack = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];
        twin = ForeignEndianTwin.Build(frame.AsSpan(0, written));
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryDecode(twin, out MembCommitToken commitBack, procBack, entriesBack));
        Assert.Equal(384, commitBack.AddrEntries);
        Assert.Equal(proc, procBack);
        Assert.Equal(entries, entriesBack);
    }
}
