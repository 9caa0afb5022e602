using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>The hand decodes of docs/wire-format.md §16 (and the examples in §5) as byte literals.</summary>
public class SrpWorkedDecodeTests
{
    // a#1: memb_join from node 1, first start.
    internal static readonly byte[] A1Join = WireHex.Parse(
        "70 c0 | 03 | 03 | 00 | 01 00 00 00 | 00 00 00 00 | 01 00 00 00 | 01 00 00 00 | 00 00 00 00 | 01 00 00 00 00 00 00 00 | 01 00 00 00");

    // a#36: commit token from rep 1, ring 1.9, node 2's entry not filled in.
    internal static readonly byte[] A36Commit = WireHex.Parse(
        "70 c0 03 04 00 | 01000000 | 00000000 | 01000000 | 01000000 0900000000000000 | 00000000 " +
        "01000000 | 02000000 | 01000000 02000000 " +
        "01000000 0500000000000000 08000000 08000000 01000000 " +
        "000000000000000000000000000000000000000000000000");

    // a#40: initial orf_token of ring 1.9.
    internal static readonly byte[] A40Token = WireHex.Parse(
        "70 c0 03 00 00 | 01000000 | 00000002 " +
        "00000000 | 00000000 | ffffffff | 01000000 | 01000000 0900000000000000 " +
        "00000000 | 00000000 | 00000000 | 00000000");

    // f#35: token with one rtr item.
    internal static readonly byte[] F35Token = WireHex.Parse(
        "70 c0 03 00 00 03000000 00000002 | 16000000 | d1000000 | 15000000 | 03000000 " +
        "01000000 0900000000000000 | 00000000 | 00000000 | 00000000 | 01000000 " +
        "01000000 0900000000000000 16000000");

    // g#11: LEAVE from node 3.
    internal static readonly byte[] G11Leave = WireHex.Parse(
        "70 c0 03 03 00 00000000 00000000 | 03000000 | 02000000 01000000 | 0900000000000000 | 01000000 02000000 | 03000000");

    // a#16: merge detect with junk target_nodeid.
    internal static readonly byte[] A16MergeDetect = WireHex.Parse(
        "70 c0 03 02 00 01000000 c445fe51 01000000 01000000 0500000000000000");

    // d#14: token_hold_cancel.
    internal static readonly byte[] D14HoldCancel = WireHex.Parse(
        "70 c0 03 05 00 02000000 00000000 01000000 0900000000000000");

    // f#1073: encapsulated recovery mcast (273 bytes), copied from the capture.
    internal static readonly byte[] F1073Encapsulated = WireHex.Parse(
        "70c00301010200000000000000020000000100000015000000020000000d00000000000000000000000000000070c003" +
        "010202000000000000000200000019000000120000000100000009000000000000000000000000000000000000000000" +
        "0100ad0001000100610000020000000000a800000000000000090000000000000066617374746f74656d000000000000" +
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000002f320000000000000100000000000000");

    // d#171: CPG mcast of 10 bytes (254 bytes), copied from the capture.
    internal static readonly byte[] D171Mcast = WireHex.Parse(
        "70c003010201000000000000000100000012000000100000000100000009000000000000000000000000000000000000" +
        "0000000100c70001000100610300020000000000c200000000000000090000000000000066617374746f74656d000000" +
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000000000000a00000000000000b32e0000000000000100000000000000503f91db" +
        "8a55000041414141414141410809");

    private static readonly MembRingId Ring1_5 = new(1, 5);
    private static readonly MembRingId Ring1_9 = new(1, 9);

    [Fact]
    public void A1JoinFromNode1()
    {
        Assert.Equal(37, A1Join.Length);
        Span<uint> proc = stackalloc uint[WireLimits.ProcessorCountMax];
        Span<uint> failed = stackalloc uint[WireLimits.ProcessorCountMax];
        Assert.Equal(WireError.None, MembJoinCodec.TryDecode(A1Join, out MembJoin join, proc, failed));
        Assert.Equal(MessageType.MembJoin, join.Header.Type);
        Assert.Equal(1u, join.Header.NodeId);
        Assert.Equal(0u, join.Header.TargetNodeId);
        Assert.False(join.IsLeave);
        Assert.Equal(1u, join.SystemFrom);
        Assert.Equal(1u, join.ProcListEntries);
        Assert.Equal(0u, join.FailedListEntries);
        Assert.Equal(1ul, join.RingSeq);
        Assert.Equal(1u, proc[0]);

        byte[] encoded = new byte[64];
        Assert.Equal(WireError.None, MembJoinCodec.TryEncode(join, proc[..1], failed[..0], encoded, out int written));
        Assert.Equal(A1Join, encoded[..written]);
    }

    [Fact]
    public void A36CommitTokenFromRep1()
    {
        Assert.Equal(97, A36Commit.Length);
        Span<uint> addr = stackalloc uint[WireLimits.ProcessorCountMax];
        var entries = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryDecode(A36Commit, out MembCommitToken token, addr, entries));
        Assert.Equal(1u, token.Header.NodeId);
        Assert.Equal(1u, token.TokenSeq);
        Assert.Equal(Ring1_9, token.RingId);
        Assert.Equal(0u, token.RetransFlg);
        Assert.Equal(1, token.MembIndex);
        Assert.Equal(2, token.AddrEntries);
        Assert.Equal([1u, 2u], addr[..2].ToArray());
        Assert.Equal(new MembCommitTokenMembEntry(Ring1_5, 8, 8, 1), entries[0]);
        Assert.Equal(default, entries[1]);

        byte[] encoded = new byte[200];
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryEncode(token, addr[..2], entries.AsSpan(0, 2), encoded, out int written));
        Assert.Equal(A36Commit, encoded[..written]);
    }

    [Fact]
    public void A40InitialToken()
    {
        Span<RtrItem> rtr = stackalloc RtrItem[WireLimits.RetransmitEntriesMax];
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(A40Token, out OrfToken token, rtr));
        Assert.Equal(1u, token.Header.NodeId);
        Assert.Equal(0x02000000u, token.Header.TargetNodeId);
        Assert.Equal(0u, token.Seq);
        Assert.Equal(0u, token.TokenSeq);
        Assert.Equal(0xFFFFFFFFu, token.Aru);
        Assert.Equal(1u, token.AruAddr);
        Assert.Equal(Ring1_9, token.RingId);
        Assert.Equal(0u, token.Backlog);
        Assert.Equal(0u, token.Fcc);
        Assert.Equal(0, token.RetransFlg);
        Assert.Equal(0, token.RtrListEntries);

        // The junk target_nodeid survives a re-encode, so the bytes are identical.
        byte[] encoded = new byte[100];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(token, rtr[..0], encoded, out int written));
        Assert.Equal(A40Token, encoded[..written]);
    }

    [Fact]
    public void F35TokenWithOneRtrItem()
    {
        Assert.Equal(73, F35Token.Length);
        Span<RtrItem> rtr = stackalloc RtrItem[WireLimits.RetransmitEntriesMax];
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(F35Token, out OrfToken token, rtr));
        Assert.Equal(3u, token.Header.NodeId);
        Assert.Equal(22u, token.Seq);
        Assert.Equal(209u, token.TokenSeq);
        Assert.Equal(21u, token.Aru);
        Assert.Equal(3u, token.AruAddr);
        Assert.Equal(Ring1_9, token.RingId);
        Assert.Equal(1, token.RtrListEntries);
        Assert.Equal(Ring1_9, rtr[0].RingId);
        Assert.Equal(22u, rtr[0].Seq);

        byte[] encoded = new byte[100];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(token, rtr[..1], encoded, out int written));
        Assert.Equal(F35Token, encoded[..written]);
    }

    [Fact]
    public void G11LeaveFromNode3()
    {
        Assert.Equal(45, G11Leave.Length);
        Span<uint> proc = stackalloc uint[WireLimits.ProcessorCountMax];
        Span<uint> failed = stackalloc uint[WireLimits.ProcessorCountMax];
        Assert.Equal(WireError.None, MembJoinCodec.TryDecode(G11Leave, out MembJoin join, proc, failed));
        Assert.True(join.IsLeave);
        Assert.Equal(0u, join.Header.NodeId);
        Assert.Equal(3u, join.SystemFrom);
        Assert.Equal(2u, join.ProcListEntries);
        Assert.Equal(1u, join.FailedListEntries);
        Assert.Equal(9ul, join.RingSeq);
        Assert.Equal([1u, 2u], proc[..2].ToArray());
        Assert.Equal(3u, failed[0]);

        byte[] encoded = new byte[64];
        Assert.Equal(WireError.None, MembJoinCodec.TryEncode(join, proc[..2], failed[..1], encoded, out int written));
        Assert.Equal(G11Leave, encoded[..written]);
    }

    [Fact]
    public void A16MergeDetectKeepsJunkTarget()
    {
        Assert.Equal(WireError.None, MembMergeDetectCodec.TryDecode(A16MergeDetect, out MembMergeDetect message));
        Assert.Equal(MessageType.MembMergeDetect, message.Header.Type);
        Assert.Equal(1u, message.Header.NodeId);
        Assert.Equal(0x51fe45c4u, message.Header.TargetNodeId);
        Assert.Equal(1u, message.SystemFrom);
        Assert.Equal(Ring1_5, message.RingId);

        byte[] encoded = new byte[29];
        Assert.Equal(WireError.None, MembMergeDetectCodec.TryEncode(message, encoded, out int written));
        Assert.Equal(29, written);
        Assert.Equal(A16MergeDetect, encoded);
    }

    [Fact]
    public void D14HoldCancelFromNode2()
    {
        Assert.Equal(WireError.None, TokenHoldCancelCodec.TryDecode(D14HoldCancel, out TokenHoldCancel message));
        Assert.Equal(MessageType.TokenHoldCancel, message.Header.Type);
        Assert.Equal(2u, message.Header.NodeId);
        Assert.Equal(Ring1_9, message.RingId);

        byte[] encoded = new byte[25];
        Assert.Equal(WireError.None, TokenHoldCancelCodec.TryEncode(message, encoded, out int written));
        Assert.Equal(25, written);
        Assert.Equal(D14HoldCancel, encoded);
    }

    [Fact]
    public void F1073EncapsulatedRecoveryMcast()
    {
        Assert.Equal(273, F1073Encapsulated.Length);
        Assert.Equal(WireError.None, McastCodec.TryDecode(F1073Encapsulated, out McastHeader outer, out ReadOnlySpan<byte> inner, out bool outerForeign));
        Assert.False(outerForeign);
        Assert.True(outer.IsEncapsulated);
        Assert.Equal(TotemHeader.Encapsulated, outer.Header.EncapsulatedFlag);
        Assert.Equal(2u, outer.Header.NodeId);
        Assert.Equal(2u, outer.SystemFrom);
        Assert.Equal(1u, outer.Seq);
        Assert.Equal(21, outer.ThisSeqno);
        Assert.Equal(new MembRingId(2, 13), outer.RingId);
        Assert.Equal(0u, outer.NodeId);
        Assert.Equal(0, outer.Guarantee);
        Assert.Equal(228, inner.Length);

        Assert.Equal(WireError.None, McastCodec.TryDecode(inner, out McastHeader old, out ReadOnlySpan<byte> totempg, out bool innerForeign));
        Assert.False(innerForeign);
        Assert.False(old.IsEncapsulated);
        Assert.Equal(2u, old.Header.NodeId);
        Assert.Equal(2u, old.SystemFrom);
        Assert.Equal(25u, old.Seq);
        Assert.Equal(18, old.ThisSeqno);
        Assert.Equal(Ring1_9, old.RingId);
        Assert.Equal(183, totempg.Length);

        byte[] encoded = new byte[300];
        Assert.Equal(WireError.None, McastCodec.TryEncode(outer, inner, encoded, out int written));
        Assert.Equal(F1073Encapsulated, encoded[..written]);
    }

    [Fact]
    public void D171McastHeader()
    {
        Assert.Equal(254, D171Mcast.Length);
        Assert.Equal(WireError.None, McastCodec.TryDecode(D171Mcast, out McastHeader header, out ReadOnlySpan<byte> payload, out _));
        Assert.Equal(TotemHeader.NotEncapsulated, header.Header.EncapsulatedFlag);
        Assert.Equal(1u, header.Header.NodeId);
        Assert.Equal(0u, header.Header.TargetNodeId);
        Assert.Equal(1u, header.SystemFrom);
        Assert.Equal(18u, header.Seq);
        Assert.Equal(16, header.ThisSeqno);
        Assert.Equal(Ring1_9, header.RingId);
        Assert.Equal(0u, header.NodeId);
        Assert.Equal(0, header.Guarantee);
        Assert.Equal(254 - 45, payload.Length);
        Assert.Equal(0x01, payload[6]); // totempg msg_count 1 at UDP offset 0x33

        byte[] encoded = new byte[300];
        Assert.Equal(WireError.None, McastCodec.TryEncode(header, payload, encoded, out int written));
        Assert.Equal(D171Mcast, encoded[..written]);
    }

    public static TheoryData<string> WorkedExamples() =>
        ["A1Join", "A36Commit", "A40Token", "F35Token", "G11Leave", "A16MergeDetect", "D14HoldCancel", "F1073Encapsulated", "D171Mcast"];

    internal static byte[] Example(string name) => name switch
    {
        "A1Join" => A1Join,
        "A36Commit" => A36Commit,
        "A40Token" => A40Token,
        "F35Token" => F35Token,
        "G11Leave" => G11Leave,
        "A16MergeDetect" => A16MergeDetect,
        "D14HoldCancel" => D14HoldCancel,
        "F1073Encapsulated" => F1073Encapsulated,
        "D171Mcast" => D171Mcast,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(WorkedExamples))]
    public void FrontDoorAcceptsEveryExample(string name)
    {
        byte[] datagram = Example(name);
        Assert.Equal(WireError.None, TotemDatagram.TryParse(datagram, out TotemHeader header, out bool foreign));
        Assert.False(foreign);
        Assert.Equal(TotemHeader.MagicValue, header.Magic);
        Assert.Equal((MessageType)datagram[3], header.Type);
        Assert.Equal(datagram[4], header.EncapsulatedFlag);
    }
}
