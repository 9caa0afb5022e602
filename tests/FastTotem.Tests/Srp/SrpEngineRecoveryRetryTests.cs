using FastTotem.Protocol.Srp;
using FastTotem.Wire;
using Xunit.Abstractions;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

/// <summary>
/// A recovery that fails (its token is lost) must not leave state that makes the next recovery install the ring
/// early: corosync's memb_state_recovery_enter keeps my_retrans_flg_count and my_rotation_counter, so after a
/// failed recovery the install seq stayed 0 and the ring was installed while a member still lacked recovery
/// messages (simulator seed 177).
/// </summary>
public class SrpEngineRecoveryRetryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4u)]
    [InlineData(5u)]
    [InlineData(6u)]
    [InlineData(7u)]
    public void RecoveryAfterAFailedRecoveryStillHandsOverEveryOldRingMessage(uint tokenSeqLost)
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        MembRingId oldRing = h.Engines[0].RingId;
        ulong firstRecoveryRing = 0;
        var droppedOnce = new HashSet<uint>();
        var rtrScratch = new RtrItem[WireLimits.RetransmitEntriesMax];
        h.DropFilter = (from, to, bytes) =>
        {
            ReadOnlySpan<byte> b = bytes.Span;
            if (b[3] == (byte)MessageType.OrfToken)
            {
                // The first recovery of {2,3}: its token is lost from token_seq tokenSeqLost on, so it fails.
                OrfTokenCodec.TryDecode(b, out OrfToken t, rtrScratch);
                if (t.RingId.Seq > oldRing.Seq && firstRecoveryRing == 0)
                {
                    firstRecoveryRing = t.RingId.Seq;
                }

                return t.RingId.Seq == firstRecoveryRing && t.TokenSeq >= tokenSeqLost;
            }

            if (to != 3 || b[3] != (byte)MessageType.Mcast)
            {
                return false;
            }

            McastCodec.TryDecode(b, out McastHeader m, out ReadOnlySpan<byte> payload, out _);
            if (b[4] == 2)
            {
                // Node 3 misses every copy of node 1's old-ring messages 10..14.
                return m.RingId == oldRing && m.Header.NodeId == 1 && payload[0] == 0 && payload[2] >= 10 && payload[2] < 15;
            }

            // In the recovery after the failed one, node 3 misses the first copy of every recovery message.
            return firstRecoveryRing != 0 && m.RingId.Seq > firstRecoveryRing && droppedOnce.Add(m.Seq);
        };
        for (int i = 0; i < 20; i++)
        {
            h.Multicast(0, [0, 0, (byte)i, 0x5A]);
        }

        h.RunFor(Ms(5));
        Assert.True(h.Delivered[1].Count >= 15);
        h.Crash(0);
        h.RunFor(Ms(10_000));
        Assert.True(h.AllOperationalWith(1, 2));
        output.WriteLine($"first recovery ring seq {firstRecoveryRing}, ring now {h.Engines[1].RingId}, " +
                         $"recovery messages dropped once at node 3: {droppedOnce.Count}");
        Assert.NotEqual(0ul, firstRecoveryRing);
        Assert.True(h.Engines[1].RingId.Seq > firstRecoveryRing, "the first recovery was meant to fail");
        Assert.True(h.Engines[1].Counters.TokenLostRecovery > 0);

        // Both survivors delivered the same old-ring messages, all 20 in order, before the new configuration.
        SrpEngineOrderingTests.AssertSameOrder(h, 1, 2);
        Assert.Equal(20, h.Delivered[2].Count);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(i, h.Delivered[2][i].Payload[2]);
        }
    }
}
