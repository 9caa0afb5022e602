using FastTotem.Wire;

namespace FastTotem.Tests.Node;

/// <summary>
/// docs/robustness.md, finding C2's three datagrams against a member operational on <c>ring</c> that delivered up to
/// <c>highDelivered</c> and last saw token_seq <c>tokenSeq − 1</c>. A: a fresh token claiming seq H+1 is everywhere;
/// B: mcast H+1 "from" another member (an empty totempg payload); C: the next fresh token, which frees H+1 while B's
/// delivery may still be queued. Shared by the unit tests and the simulator's.
/// </summary>
internal static class ForgedBatch
{
    public static byte[][] Recipe(MembRingId ring, uint highDelivered, uint tokenSeq, uint forgedSender)
    {
        uint seq = highDelivered + 1;
        var header = new McastHeader
        {
            Header = new TotemHeader(MessageType.Mcast, forgedSender, TotemHeader.NotEncapsulated), SystemFrom = forgedSender, Seq = seq, RingId = ring,
        };
        byte[] mcast = new byte[McastHeader.Size + 8];
        Check(McastCodec.TryEncode(header, new byte[8], mcast, out _));
        return [Token(ring, seq, tokenSeq), mcast, Token(ring, seq, tokenSeq + 1)];
    }

    private static byte[] Token(MembRingId ring, uint seq, uint tokenSeq)
    {
        var token = new OrfToken { Header = new TotemHeader(MessageType.OrfToken, ring.Rep), Seq = seq, TokenSeq = tokenSeq, Aru = seq, AruAddr = 0, RingId = ring };
        byte[] bytes = new byte[OrfToken.Size];
        Check(OrfTokenCodec.TryEncode(token, [], bytes, out _));
        return bytes;
    }

    private static void Check(WireError error)
    {
        if (error != WireError.None)
        {
            throw new InvalidOperationException($"the forged datagram did not encode: {error}");
        }
    }
}
