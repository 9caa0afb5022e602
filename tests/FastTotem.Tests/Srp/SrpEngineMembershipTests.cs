using FastTotem.Protocol.Srp;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

public class SrpEngineMembershipTests
{
    [Fact]
    public void CrashedRepIsDetectedByTokenLossAndOthersReform()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        SrpConfig config = h.Engines[1].Config;
        h.Wire = [];
        h.Crash(0);

        // Before the token timeout nothing changes.
        h.RunFor(Ms(config.TokenMs - 100));
        Assert.Equal(SrpState.Operational, h.Engines[1].State);

        h.RunFor(Ms(config.TokenMs + config.ConsensusMs + 500));
        Assert.True(h.AllOperationalWith(1, 2));
        Assert.Equal(2u, h.Engines[1].RingId.Rep);
        Assert.Equal([2u, 3u], h.Engines[2].Members.ToArray());

        // The consensus timeout put node 1 in the failed list of a join (c#200).
        Assert.Contains(h.Wire, w => WireView.TypeOf(w.Bytes) == MessageType.MembJoin
            && WireView.Describe(w.From, w.Bytes).EndsWith("failed=[1]", StringComparison.Ordinal));

        var trans = h.ConfigChanges.Last(c => c.Node == 2 && c.Kind == ConfigChangeKind.Transitional);
        Assert.Equal([2u, 3u], trans.Members);
        Assert.Equal([1u], trans.Left);
    }

    [Fact]
    public void LeaveMakesOthersReformQuickly()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        h.Wire = [];
        h.Leave(2);
        var leave = h.Wire.Single(w => w.From == 3);
        Assert.Equal(0u, BitConverter.ToUInt32(leave.Bytes, 5));
        Assert.Equal("join from=3 hdr=0 seq=" + h.Engines[0].RingId.Seq + " proc=[1,2] failed=[3]", WireView.Describe(3, leave.Bytes));

        // Far less than a token timeout (1000 ms) later, {1,2} is a ring.
        h.RunFor(Ms(100));
        Assert.True(h.AllOperationalWith(0, 1));
        var trans = h.ConfigChanges.Last(c => c.Node == 0 && c.Kind == ConfigChangeKind.Transitional);
        Assert.Equal([3u], trans.Left);
    }

    [Fact]
    public void RecoveryReSendsOldRingMessagesEncapsulatedToAMemberThatMissedThem()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        MembRingId oldRing = h.Engines[0].RingId;
        h.Wire = [];

        // Node 3 misses every copy (original and retransmissions) of node 1's old-ring messages 10..14.
        h.DropFilter = (from, to, bytes) =>
        {
            ReadOnlySpan<byte> b = bytes.Span;
            if (to != 3 || b[3] != (byte)MessageType.Mcast || b[4] != 2)
            {
                return false;
            }

            McastCodec.TryDecode(b, out McastHeader m, out ReadOnlySpan<byte> payload, out _);
            return m.RingId == oldRing && m.Header.NodeId == 1 && payload[0] == 0 && payload[2] >= 10 && payload[2] < 15;
        };
        for (int i = 0; i < 20; i++)
        {
            h.Multicast(0, [0, 0, (byte)i, 0x5A]);
        }

        // Let the messages reach node 2 (node 3 keeps asking), then node 1 dies.
        h.RunFor(Ms(5));
        Assert.True(h.Delivered[1].Count >= 15);
        h.Crash(0);
        h.RunFor(Ms(4000));
        Assert.True(h.AllOperationalWith(1, 2));

        // Node 2 sent the old-ring messages node 3 lacked, encapsulated in the new ring: outer encapsulated = 1,
        // new ring id and seqs from 1, inner = the old-ring mcast byte for byte.
        var recovery = h.Wire.Where(w => w.From == 2 && WireView.TypeOf(w.Bytes) == MessageType.Mcast && w.Bytes[4] == 1).ToList();
        Assert.NotEmpty(recovery);
        Assert.True(h.Engines[1].Counters.RecoveryMcastTx > 0);
        McastCodec.TryDecode(recovery[0].Bytes, out McastHeader outer, out ReadOnlySpan<byte> inner, out _);
        Assert.Equal(h.Engines[1].RingId, outer.RingId);
        Assert.InRange(outer.Seq, 1u, 20u);

        // Recovery messages take the first seqs of the new ring (every member re-sends what it holds above the
        // lowest aru, so node 3 re-sends the ones it has too).
        uint firstRecoverySeq = h.Wire.Where(w => WireView.TypeOf(w.Bytes) == MessageType.Mcast && w.Bytes[4] == 1)
            .Min(w => BitConverter.ToUInt32(w.Bytes, 17));
        Assert.Equal(1u, firstRecoverySeq);
        Assert.Equal(2u, outer.SystemFrom);
        McastCodec.TryDecode(inner, out McastHeader innerHeader, out _, out _);
        Assert.Equal(oldRing, innerHeader.RingId);
        Assert.Equal(1u, innerHeader.Header.NodeId);
        byte[] original = h.Wire.First(w => w.From == 1 && WireView.TypeOf(w.Bytes) == MessageType.Mcast
            && BitConverter.ToUInt32(w.Bytes, 17) == innerHeader.Seq).Bytes;
        Assert.Equal(original, inner.ToArray());

        // Both survivors delivered the same old-ring messages in the same order, including 10..14 at node 3.
        SrpEngineOrderingTests.AssertSameOrder(h, 1, 2);
        Assert.Equal(20, h.Delivered[2].Count);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(i, h.Delivered[2][i].Payload[2]);
        }
    }

    [Fact]
    public void ForeignRingMergeDetectMakesTwoRingsMerge()
    {
        // Nodes 1 and 2 cannot hear each other at first: two singleton rings. When the partition heals, the rep's
        // merge_detect (sent while the ring is idle) makes them gather and form {1,2}.
        var h = new RingHarness(2);
        bool partitioned = true;
        h.DropFilter = (from, to, _) => partitioned && from != to;
        h.Wire = [];
        h.StartAll();
        h.RunFor(Ms(2000));
        Assert.True(h.AllOperationalWith(0));
        Assert.True(h.AllOperationalWith(1));
        partitioned = false;
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(0, 1));
        Assert.Contains(h.Wire, w => WireView.TypeOf(w.Bytes) == MessageType.MembMergeDetect);
    }

    [Fact]
    public void IdleRingHoldsTokenAndHoldCancelReleasesIt()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        h.RunFor(Ms(2000));
        h.Wire = [];
        h.RunFor(Ms(1000));

        // Idle: the rep holds the token, so it circulates at the hold pace rather than the network's.
        int tokens = h.Wire.Count(w => WireView.TypeOf(w.Bytes) == MessageType.OrfToken);
        Assert.InRange(tokens, 3, 60);

        // A member with the token marked held multicasts token_hold_cancel when it has something to send.
        h.Wire = [];
        h.Multicast(1, [9, 9]);
        h.RunFor(Ms(50));
        Assert.Contains(h.Wire, w => WireView.TypeOf(w.Bytes) == MessageType.TokenHoldCancel && w.From == 2);
        Assert.Single(h.Delivered[0]);
        Assert.Single(h.Delivered[2]);
    }

    /// <summary>
    /// A retransmitted copy of a token whose aru its sender raised (aru_addr 0) must not make a member release
    /// messages another member still lacks: after the rep dies, recovery must still hand them over. corosync runs
    /// messages_free for such duplicates; the engine deliberately does not (found by the simulator, seed 253).
    /// </summary>
    [Fact]
    public void DuplicatedOptimisticTokenDoesNotReleaseMessagesStillMissingElsewhere()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        MembRingId ring = h.Engines[0].RingId;
        bool blockToken31 = false;
        h.DropFilter = (from, to, bytes) =>
        {
            ReadOnlySpan<byte> b = bytes.Span;
            if (b[3] == (byte)MessageType.OrfToken)
            {
                // Stop the token that carries n3's lowered aru, so n2's last token is n1's optimistic one.
                var items = new RtrItem[30];
                OrfTokenCodec.TryDecode(b, out OrfToken tok, items);
                return blockToken31 && from == 3 && to == 1 && tok.AruAddr == 3;
            }

            if (to != 3 || b[3] != (byte)MessageType.Mcast || b[4] != 2)
            {
                return false;
            }

            McastCodec.TryDecode(b, out McastHeader m, out ReadOnlySpan<byte> payload, out _);
            return m.RingId == ring && payload.Length > 0 && payload[0] == 0xAB;
        };
        h.RunFor(Ms(20));
        h.Wire = [];
        blockToken31 = true;
        for (int i = 0; i < 5; i++)
        {
            h.Multicast(0, [0xAB, (byte)i]);
        }

        h.RunFor(Ms(2));
        byte[] optimistic = h.Wire.Last(w => w.From == 1 && w.To == 2 && WireView.TypeOf(w.Bytes) == MessageType.OrfToken).Bytes;
        var rtr = new RtrItem[30];
        OrfTokenCodec.TryDecode(optimistic, out OrfToken t, rtr);
        Assert.Equal(t.Seq, t.Aru);
        Assert.Equal(0u, t.AruAddr);

        // n1's token retransmission reaches n2 again, then n1 dies.
        h.Engines[1].HandleDatagram(optimistic, h.Now);
        h.Engines[1].HandleDatagram(optimistic, h.Now);
        h.Drain(1);
        h.Crash(0);
        blockToken31 = false;
        h.RunFor(Ms(4000));

        Assert.True(h.AllOperationalWith(1, 2));
        Assert.Equal(5, h.Delivered[1].Count(d => d.Payload[0] == 0xAB));
        Assert.True(h.Engines[1].Counters.RecoveryMcastTx > 0, $"n2 recovery tx {h.Engines[1].Counters.RecoveryMcastTx} originated {h.Engines[1].Counters.RecoveryMessagesOriginated} n3 recovery tx {h.Engines[2].Counters.RecoveryMcastTx}");
        Assert.Equal(5, h.Delivered[2].Count(d => d.Payload[0] == 0xAB));
        SrpEngineOrderingTests.AssertSameOrder(h, 1, 2);
    }

    /// <summary>
    /// A join that adds nothing to our lists does not restart GATHER (no immediate identical join, no consensus
    /// restart): two nodes with failed lists they cannot merge must not answer each other forever (simulator
    /// seeds 56 and 71: an unbounded join storm).
    /// </summary>
    [Fact]
    public void JoinThatTeachesNothingDoesNotRestartGather()
    {
        var engine = new SrpEngine(SrpConfig.CorosyncDefaults(1, [1, 2, 3, 4], 1000), new MemoryRingSeqStore());
        engine.Start(0);
        byte[] buffer = new byte[16 * 1024];
        while (engine.PollTransmit(buffer, out TransmitInfo info))
        {
            if (info.Destination == 1)
            {
                engine.HandleDatagram(buffer.AsSpan(0, info.Length), 10_000);
            }
        }

        for (long t = 20_000; engine.State != SrpState.Operational && t < 1_000_000; t += 10_000)
        {
            while (engine.PollTransmit(buffer, out TransmitInfo info))
            {
                if (info.Destination == 1)
                {
                    engine.HandleDatagram(buffer.AsSpan(0, info.Length), t);
                }
            }
        }

        Assert.Equal(SrpState.Operational, engine.State);
        byte[] join = new byte[MembJoinCodec.GetEncodedLength(2, 1)];
        var header = new MembJoin { Header = new TotemHeader(MessageType.MembJoin, 2), SystemFrom = 2, RingSeq = 1 };
        MembJoinCodec.TryEncode(header, [2, 1], [3], join, out _);

        engine.HandleDatagram(join, 2_000_000);
        Assert.Equal(SrpState.Gather, engine.State);
        long joinsAfterFirst = engine.Counters.JoinTx;
        long gathersAfterFirst = engine.Counters.GatherEntered;
        long consensusDeadline = engine.PollTimeout();

        for (int i = 0; i < 100; i++)
        {
            engine.HandleDatagram(join, 2_000_000 + i * 1000);
        }

        Assert.Equal(joinsAfterFirst, engine.Counters.JoinTx);
        Assert.Equal(gathersAfterFirst, engine.Counters.GatherEntered);
        Assert.Equal(consensusDeadline, engine.PollTimeout());
    }
}
