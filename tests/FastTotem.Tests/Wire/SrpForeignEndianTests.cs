using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Receiver-makes-right: byte-swapped twins decode to the same values (docs/wire-format.md §3.2).</summary>
public class SrpForeignEndianTests
{
    public static TheoryData<string> WorkedExamples() => SrpWorkedDecodeTests.WorkedExamples();

    [Theory]
    [MemberData(nameof(WorkedExamples))]
    public void TwinDecodesToTheSameValuesAndReEncodesNative(string name)
    {
        byte[] native = SrpWorkedDecodeTests.Example(name);
        byte[] twin = ForeignEndianTwin.Build(native);
        Assert.NotEqual(native, twin);
        Assert.Equal(0xc0, twin[0]);
        Assert.Equal(0x70, twin[1]);

        Assert.Equal(WireError.None, TotemDatagram.TryParse(twin, out TotemHeader header, out bool foreign));
        Assert.True(foreign);
        Assert.Equal(TotemHeader.MagicValue, header.Magic);

        Assert.Equal(WireError.None, SrpText.TryRender(native, out List<string> expected));
        Assert.Equal(WireError.None, SrpText.TryRender(twin, out List<string> actual));
        Assert.Equal(expected, actual);

        // We always send in our own (little-endian) order, so a twin re-encodes to the native bytes.
        Assert.Equal(native, SrpText.ReEncode(twin));
    }

    [Fact]
    public void McastReportsForeignEndianAndLeavesPayloadAlone()
    {
        byte[] twin = ForeignEndianTwin.Build(SrpWorkedDecodeTests.D171Mcast);
        Assert.Equal(WireError.None, McastCodec.TryDecode(twin, out McastHeader header, out ReadOnlySpan<byte> payload, out bool foreign));
        Assert.True(foreign);
        Assert.Equal(18u, header.Seq);
        Assert.True(payload.SequenceEqual(SrpWorkedDecodeTests.D171Mcast.AsSpan(45)));
    }

    [Fact]
    public void InnerMcastCarriesItsOwnByteOrder()
    {
        byte[] native = SrpWorkedDecodeTests.F1073Encapsulated;
        byte[] mixed = native.ToArray();
        ForeignEndianTwin.Build(native.AsSpan(45)).CopyTo(mixed, 45);

        Assert.Equal(WireError.None, McastCodec.TryDecode(mixed, out McastHeader outer, out ReadOnlySpan<byte> inner, out bool outerForeign));
        Assert.False(outerForeign);
        Assert.Equal(new MembRingId(2, 13), outer.RingId);
        Assert.Equal(WireError.None, McastCodec.TryDecode(inner, out McastHeader old, out _, out bool innerForeign));
        Assert.True(innerForeign);
        Assert.Equal(25u, old.Seq);
        Assert.Equal(new MembRingId(1, 9), old.RingId);
    }

    [Fact]
    public void HoldCancelRingIdIsNeverSwapped()
    {
        // A real big-endian sender writes its ring id big-endian; corosync compares it raw, so it
        // never matches. The codec must keep it raw too.
        byte[] bigEndian = ForeignEndianTwin.Build(SrpWorkedDecodeTests.D14HoldCancel);
        bigEndian.AsSpan(13, 4).Reverse();
        bigEndian.AsSpan(17, 8).Reverse();
        Assert.Equal(WireError.None, TokenHoldCancelCodec.TryDecode(bigEndian, out TokenHoldCancel message));
        Assert.Equal(2u, message.Header.NodeId);
        Assert.Equal(new MembRingId(0x01000000, 0x0900000000000000), message.RingId);
        Assert.NotEqual(new MembRingId(1, 9), message.RingId);
    }

    [Fact]
    public void TargetNodeIdStaysAsItArrived()
    {
        byte[] twin = ForeignEndianTwin.Build(SrpWorkedDecodeTests.A16MergeDetect);
        Assert.Equal(WireError.None, MembMergeDetectCodec.TryDecode(twin, out MembMergeDetect message));
        Assert.Equal(0x51fe45c4u, message.Header.TargetNodeId);
        Assert.Equal(1u, message.Header.NodeId);
        Assert.Equal(new MembRingId(1, 5), message.RingId);
    }

    [Fact]
    public void CommitEntryWithZeroRawRepIsNotSwapped()
    {
        // Entry 1 of a#36 is unfilled (rep 0). Give it a non-zero aru: a foreign receiver copies it raw.
        byte[] native = SrpWorkedDecodeTests.A36Commit.ToArray();
        int entry1 = 41 + 2 * 4 + 24;
        native[entry1 + 12] = 0x07;
        byte[] twin = ForeignEndianTwin.Build(native);
        Assert.Equal(0x07, twin[entry1 + 12]);

        var addr = new uint[4];
        var entries = new MembCommitTokenMembEntry[4];
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryDecode(twin, out MembCommitToken token, addr, entries));
        Assert.Equal(2, token.AddrEntries);
        Assert.Equal(new MembCommitTokenMembEntry(new MembRingId(1, 5), 8, 8, 1), entries[0]);
        Assert.Equal(7u, entries[1].Aru);
        Assert.Equal(0u, entries[1].RingId.Rep);
    }
}
