using FastTotem.Protocol.Srp;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

public class SrpEngineStructureTests
{
    [Fact]
    public void SeqComparisonsFollowCorosyncRollover()
    {
        // 0xFFFFFFFF is "one before the start" of a ring: below 0 (the first token's aru).
        Assert.True(SeqMath.Lt(0xFFFFFFFF, 0));
        Assert.False(SeqMath.Lt(0, 0xFFFFFFFF));
        Assert.True(SeqMath.Lt(1, 2));
        Assert.True(SeqMath.Lte(2, 2));
        Assert.False(SeqMath.Lt(2, 2));
        Assert.True(SeqMath.Lt(0x80000010, 0x80000020));
    }

    [Fact]
    public void MessageStoreIsARingIndexedBySeq()
    {
        var store = new MessageStore(16, 64);
        store.Reset(0);
        Assert.True(store.InRange(15));
        Assert.False(store.InRange(16));
        Assert.True(store.TryAdd(3, [1, 2, 3], keepReserve: false));
        Assert.True(store.Contains(3));
        Assert.Equal(new byte[] { 1, 2, 3 }, store.Get(3).ToArray());
        Assert.Equal(1u, store.IncrementMissCount(4));
        Assert.Equal(2u, store.IncrementMissCount(4));

        store.ReleaseThrough(10);
        Assert.False(store.Contains(3));
        Assert.Equal(11u, store.HeadSeq);
        Assert.True(store.InRange(26));
        Assert.False(store.InRange(27));
        Assert.False(store.InRange(10));

        // Seq 19 reuses the slot of seq 3; the old seq is not visible through it.
        Assert.True(store.TryAdd(19, [9], keepReserve: false));
        Assert.True(store.Contains(19));
        Assert.False(store.Contains(3));
        Assert.Equal(0u + 1, store.IncrementMissCount(20));
    }

    [Fact]
    public void TimerTableFiresEarliestFirst()
    {
        var timers = new TimerTable();
        Assert.Equal(long.MaxValue, timers.Earliest());
        timers.Arm(SrpTimer.Join, 50);
        timers.Arm(SrpTimer.TokenTimeout, 30);
        Assert.Equal(30, timers.Earliest());
        Assert.False(timers.TryTakeDue(29, out _));
        Assert.True(timers.TryTakeDue(60, out SrpTimer first));
        Assert.Equal(SrpTimer.TokenTimeout, first);
        Assert.True(timers.TryTakeDue(60, out SrpTimer second));
        Assert.Equal(SrpTimer.Join, second);
        Assert.False(timers.TryTakeDue(60, out _));
    }

    [Fact]
    public void TransmitQueueDropsAndCountsWhenFull()
    {
        var queue = new TransmitQueue(4, 100);
        Assert.True(queue.EnqueueControl(new byte[40], 2));
        Assert.True(queue.EnqueueControl(new byte[40], 3));
        Assert.False(queue.EnqueueControl(new byte[40], 4));
        Assert.Equal(1, queue.Overflows);
        byte[] buffer = new byte[100];
        Assert.True(queue.TryDequeue(buffer, out TransmitInfo info));
        Assert.Equal((40, 2u), (info.Length, info.Destination));
        Assert.True(queue.EnqueueControl(new byte[30], 5));
        Assert.True(queue.TryDequeue(buffer, out info));
        Assert.Equal(3u, info.Destination);
        Assert.True(queue.TryDequeue(buffer, out info));
        Assert.Equal((30, 5u), (info.Length, info.Destination));
        Assert.False(queue.TryDequeue(buffer, out _));
    }

    /// <summary>
    /// fail_recv_const: a member that can never get one message holds the ring's aru back; after 2500 token visits
    /// as aru_addr (while the ring is busy, so the token is not held) it puts itself in the failed list and the others form a ring without it (corosync's
    /// "FAILED TO RECEIVE"); the separated rings later merge again.
    /// </summary>
    [Fact]
    public void MemberThatNeverReceivesAMessageDeclaresItselfFailed()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        MembRingId ring = h.Engines[0].RingId;
        h.DropFilter = (from, to, bytes) =>
        {
            ReadOnlySpan<byte> b = bytes.Span;
            if (to != 3 || b[3] != (byte)MessageType.Mcast)
            {
                return false;
            }

            McastCodec.TryDecode(b, out McastHeader m, out ReadOnlySpan<byte> payload, out _);
            return m.RingId == ring && payload.Length == 2 && payload[0] == 0xEE;
        };
        h.Multicast(0, [0xEE, 0xEE]);

        // Keep the ring busy so the token is never held and rotates at network speed.
        for (int i = 0; i < 800 && h.Engines[2].Counters.FailedToReceive == 0; i++)
        {
            h.Multicast(1, [1, (byte)i]);
            h.RunFor(Ms(1));
        }

        h.RunFor(Ms(5000));

        Assert.Equal(1, h.Engines[2].Counters.FailedToReceive);
        // Node 3 formed a ring of its own, nodes 1 and 2 one without it; then merge detection joined them again.
        Assert.Contains(h.ConfigChanges, c => c.Node == 2 && c.Kind == ConfigChangeKind.Regular && c.Members.SequenceEqual(new uint[] { 3 }));
        Assert.Contains(h.ConfigChanges, c => c.Node == 0 && c.Kind == ConfigChangeKind.Regular && c.Members.SequenceEqual(new uint[] { 1, 2 }));
        Assert.True(h.AllOperationalWith(0, 1, 2));
    }
}
