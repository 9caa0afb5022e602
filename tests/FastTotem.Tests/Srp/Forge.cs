using FastTotem.Wire;

namespace FastTotem.Tests.Srp;

/// <summary>Builds well-formed forged SRP datagrams (little-endian) for the hostile-input tests.</summary>
internal static class Forge
{
    public static byte[] MergeDetect(uint headerNodeId, uint systemFrom, MembRingId ring)
    {
        var m = new MembMergeDetect { Header = new TotemHeader(MessageType.MembMergeDetect, headerNodeId), SystemFrom = systemFrom, RingId = ring };
        byte[] d = new byte[64];
        Assert.Equal(WireError.None, MembMergeDetectCodec.TryEncode(m, d, out int n));
        return d[..n];
    }

    public static byte[] Join(uint headerNodeId, uint systemFrom, ulong ringSeq, uint[] proc, uint[] failed)
    {
        var j = new MembJoin { Header = new TotemHeader(MessageType.MembJoin, headerNodeId), SystemFrom = systemFrom, RingSeq = ringSeq };
        byte[] d = new byte[MembJoinCodec.GetEncodedLength(proc.Length, failed.Length)];
        Assert.Equal(WireError.None, MembJoinCodec.TryEncode(j, proc, failed, d, out _));
        return d;
    }

    public static byte[] Commit(uint headerNodeId, uint tokenSeq, MembRingId ring, int membIndex, uint[] addr, MembCommitTokenMembEntry[]? entries = null)
    {
        entries ??= new MembCommitTokenMembEntry[addr.Length];
        var c = new MembCommitToken { Header = new TotemHeader(MessageType.MembCommitToken, headerNodeId), TokenSeq = tokenSeq, RingId = ring, MembIndex = membIndex };
        byte[] d = new byte[MembCommitTokenCodec.GetEncodedLength(addr.Length)];
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryEncode(c, addr, entries, d, out _));
        return d;
    }

    public static byte[] Token(uint headerNodeId, MembRingId ring, uint seq, uint tokenSeq, uint aru, uint aruAddr, RtrItem[]? rtr = null)
    {
        rtr ??= [];
        var t = new OrfToken
        {
            Header = new TotemHeader(MessageType.OrfToken, headerNodeId),
            Seq = seq,
            TokenSeq = tokenSeq,
            Aru = aru,
            AruAddr = aruAddr,
            RingId = ring,
        };
        byte[] d = new byte[OrfTokenCodec.GetEncodedLength(rtr.Length)];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(t, rtr, d, out _));
        return d;
    }

    public static byte[] Mcast(uint headerNodeId, uint systemFrom, MembRingId ring, uint seq, byte[] payload, bool encapsulated = false)
    {
        var m = new McastHeader
        {
            Header = new TotemHeader(MessageType.Mcast, headerNodeId, encapsulated ? TotemHeader.Encapsulated : TotemHeader.NotEncapsulated),
            SystemFrom = systemFrom,
            Seq = seq,
            RingId = ring,
        };
        byte[] d = new byte[McastCodec.GetEncodedLength(payload.Length)];
        Assert.Equal(WireError.None, McastCodec.TryEncode(m, payload, d, out _));
        return d;
    }

    public static byte[] HoldCancel(uint headerNodeId, MembRingId ring)
    {
        var m = new TokenHoldCancel { Header = new TotemHeader(MessageType.TokenHoldCancel, headerNodeId), RingId = ring };
        byte[] d = new byte[64];
        Assert.Equal(WireError.None, TokenHoldCancelCodec.TryEncode(m, d, out int n));
        return d[..n];
    }

    /// <summary>An empty but valid totempg payload (msg_count 0).</summary>
    public static byte[] EmptyPg => new byte[8];

    /// <summary>A totempg payload that opens a fragment chain (fragmented 1, continuation 0, one 0-byte message).</summary>
    public static byte[] OpenChainPg => [0, 0, 0, 0, 1, 0, 1, 0, 0, 0];
}
