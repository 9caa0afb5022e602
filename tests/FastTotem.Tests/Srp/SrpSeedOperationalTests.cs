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
}
