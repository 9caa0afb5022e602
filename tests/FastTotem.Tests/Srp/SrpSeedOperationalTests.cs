using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Tests.Srp;

/// <summary>SrpEngine.SeedOperational, the capture replays' way into a ring that formed before the capture.</summary>
public class SrpSeedOperationalTests
{
    private static SrpSeedState Seed(uint[] members) => new()
    {
        RingId = new MembRingId(1, 9),
        Members = members,
        Aru = 21,
        HighSeqReceived = 21,
        HighDelivered = 21,
        LastReleased = 21,
        TokenSeq = 182,
        LastTokenRingSeq = 21,
        LastTokenAru = 21,
    };

    [Fact]
    public void A_seeded_engine_is_operational_in_the_given_ring_and_passes_the_token_to_its_successor()
    {
        var engine = new SrpEngine(SrpConfig.CorosyncDefaults(2, [1, 2, 3], 1000), new MemoryRingSeqStore(0));
        engine.SeedOperational(Seed([1, 2, 3]), 0);
        Assert.Equal(SrpState.Operational, engine.State);
        Assert.Equal(new MembRingId(1, 9), engine.RingId);
        Assert.Equal([1u, 2u, 3u], engine.Members.ToArray());

        // A fresh token of the ring (token_seq above the seeded one) is forwarded to node 3 with our nodeid.
        var token = new OrfToken { Header = new TotemHeader(MessageType.OrfToken, 1), Seq = 21, TokenSeq = 186, Aru = 21, RingId = new MembRingId(1, 9) };
        byte[] bytes = new byte[OrfToken.Size];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(token, [], bytes, out _));
        engine.HandleDatagram(bytes, 1_000_000);
        byte[] buffer = new byte[engine.TransmitBufferSize];
        Assert.True(engine.PollTransmit(buffer, out TransmitInfo info));
        Assert.Equal(3u, info.Destination);
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(buffer.AsSpan(0, info.Length), out OrfToken sent, new RtrItem[30]));
        Assert.Equal(187u, sent.TokenSeq);
        Assert.Equal(2u, sent.Header.NodeId);

        // A stale one (token_seq at or below what we saw) is dropped.
        engine.HandleDatagram(bytes, 2_000_000);
        Assert.False(engine.PollTransmit(buffer, out _));
    }

    [Fact]
    public void Seeding_is_refused_for_a_non_member_or_a_started_engine()
    {
        var engine = new SrpEngine(SrpConfig.CorosyncDefaults(2, [1, 2, 3], 1000), new MemoryRingSeqStore(0));
        Assert.Throws<ArgumentException>(() => engine.SeedOperational(Seed([1, 3]), 0));

        var started = new SrpEngine(SrpConfig.CorosyncDefaults(2, [1, 2, 3], 1000), new MemoryRingSeqStore(0));
        started.Start(0);
        Assert.Throws<InvalidOperationException>(() => started.SeedOperational(Seed([1, 2, 3]), 0));
    }

    [Fact]
    public void Without_a_token_the_seeded_last_token_is_retransmitted_after_token_retransmit()
    {
        var config = SrpConfig.CorosyncDefaults(2, [1, 2, 3], 1000);
        var engine = new SrpEngine(config, new MemoryRingSeqStore(0));
        var last = new OrfToken { Header = new TotemHeader(MessageType.OrfToken, 2), Seq = 21, TokenSeq = 184, Aru = 21, RingId = new MembRingId(1, 9) };
        byte[] lastBytes = new byte[OrfToken.Size];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(last, [], lastBytes, out _));
        SrpSeedState seed = Seed([1, 2, 3]);
        engine.SeedOperational(
            new SrpSeedState
            {
                RingId = seed.RingId, Members = seed.Members, Aru = 21, HighSeqReceived = 21, HighDelivered = 21, LastReleased = 21,
                TokenSeq = 183, LastTokenRingSeq = 21, LastTokenAru = 21, LastToken = lastBytes, LastTokenAtNs = 5_000_000,
            },
            10_000_000);

        long due = 5_000_000 + config.TokenRetransmitMs * 1_000_000L;
        Assert.Equal(due, engine.PollTimeout());
        engine.HandleTimeout(due);
        byte[] buffer = new byte[engine.TransmitBufferSize];
        Assert.True(engine.PollTransmit(buffer, out TransmitInfo info));
        Assert.Equal(3u, info.Destination);
        Assert.Equal(lastBytes, buffer.AsSpan(0, info.Length).ToArray());
    }

    [Fact]
    public void A_seeded_in_flight_message_is_retransmitted_when_the_token_asks_for_it()
    {
        var engine = new SrpEngine(SrpConfig.CorosyncDefaults(1, [1, 2, 3], 1000), new MemoryRingSeqStore(0));
        var ring = new MembRingId(1, 9);
        var header = new McastHeader
        {
            Header = new TotemHeader(MessageType.Mcast, 2, TotemHeader.NotEncapsulated), SystemFrom = 2, Seq = 22, ThisSeqno = 15, RingId = ring,
        };
        byte[] message = new byte[McastHeader.Size + 10];
        Assert.Equal(WireError.None, McastCodec.TryEncode(header, new byte[10], message, out _));
        engine.SeedOperational(
            new SrpSeedState
            {
                RingId = ring, Members = [1, 2, 3], Aru = 22, HighSeqReceived = 22, HighDelivered = 22, LastReleased = 21,
                TokenSeq = 205, LastTokenRingSeq = 22, LastTokenAru = 21, Messages = [message],
            },
            0);

        // Node 3 still lacks seq 22 and asks for it: we re-multicast the stored bytes, then forward the token without it.
        var token = new OrfToken { Header = new TotemHeader(MessageType.OrfToken, 3), Seq = 22, TokenSeq = 209, Aru = 21, AruAddr = 3, RingId = ring };
        byte[] tokenBytes = new byte[OrfTokenCodec.GetEncodedLength(1)];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(token, [new RtrItem(ring, 22)], tokenBytes, out _));
        engine.HandleDatagram(tokenBytes, 1_000_000);

        byte[] buffer = new byte[engine.TransmitBufferSize];
        Assert.True(engine.PollTransmit(buffer, out TransmitInfo info));
        Assert.Equal(message, buffer.AsSpan(0, info.Length).ToArray());
        Assert.True(engine.PollTransmit(buffer, out info));
        Assert.Equal(2u, info.Destination);
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(buffer.AsSpan(0, info.Length), out OrfToken forwarded, new RtrItem[30]));
        Assert.Equal(0, forwarded.RtrListEntries);
        Assert.Equal(1u, forwarded.Fcc);
    }

    [Fact]
    public void A_seeded_message_of_another_ring_is_refused()
    {
        var engine = new SrpEngine(SrpConfig.CorosyncDefaults(1, [1, 2, 3], 1000), new MemoryRingSeqStore(0));
        var header = new McastHeader
        {
            Header = new TotemHeader(MessageType.Mcast, 2, TotemHeader.NotEncapsulated), SystemFrom = 2, Seq = 22, RingId = new MembRingId(1, 5),
        };
        byte[] message = new byte[McastHeader.Size];
        Assert.Equal(WireError.None, McastCodec.TryEncode(header, [], message, out _));
        var seed = new SrpSeedState { RingId = new MembRingId(1, 9), Members = [1, 2, 3], LastReleased = 21, Messages = [message] };
        Assert.Throws<ArgumentException>(() => engine.SeedOperational(seed, 0));
        Assert.False(engine.IsRunning);
    }
}
