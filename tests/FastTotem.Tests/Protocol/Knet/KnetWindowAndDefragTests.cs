using FastTotem.Protocol.Knet;

namespace FastTotem.Tests.Protocol.Knet;

public class KnetWindowAndDefragTests
{
    private static bool Accept(KnetDuplicateWindow w, ushort seq)
    {
        if (!w.Lookup(seq, defragMap: false))
        {
            return false;
        }

        w.Set(seq, defragMap: false);
        return true;
    }

    [Fact]
    public void EachSeqIsDeliveredOnceAcrossGapsReorderingAndTheWrap()
    {
        var w = new KnetDuplicateWindow();
        Assert.True(Accept(w, 65530));
        Assert.True(Accept(w, 65533)); // a gap
        Assert.True(Accept(w, 65531)); // late
        Assert.False(Accept(w, 65531));
        Assert.True(Accept(w, 65535));
        Assert.True(Accept(w, 1));     // 65535 → 1, 0 is skipped
        Assert.False(Accept(w, 65535));
        Assert.False(Accept(w, 1));
        Assert.True(Accept(w, 2));
        Assert.Equal(2, w.NewestSeq);
    }

    [Fact]
    public void AFarJumpRestartsTheWindowAndOldBitsAreForgottenAsItMoves()
    {
        var w = new KnetDuplicateWindow();
        for (ushort s = 1; s <= 100; s++)
        {
            Assert.True(Accept(w, s));
        }

        Assert.True(Accept(w, 30_000));  // far away: window restarts
        Assert.True(Accept(w, 50));      // 29,950 behind: also far, accepted again
        var v = new KnetDuplicateWindow();
        Assert.True(Accept(v, 10));
        for (ushort s = 11; s < 10 + 4096; s++)
        {
            Assert.True(Accept(v, s));
        }

        Assert.False(Accept(v, 4000));
        Assert.True(Accept(v, 10 + 4096)); // its slot (seq 10's) is cleared on the way
    }

    [Fact]
    public void ResetForgetsEverything()
    {
        var w = new KnetDuplicateWindow();
        Assert.True(Accept(w, 5));
        w.Reset();
        Assert.Equal(0, w.NewestSeq);
        Assert.True(Accept(w, 5));
    }

    [Fact]
    public void DefragChecksSizesAndEvictsTheLeastRecentlyUsed()
    {
        var pool = new KnetDefragPool(2);
        long evicted = 0;
        byte[] f = new byte[100];
        Assert.Equal(DefragResult.Pending, pool.Add(0, 1, 3, 1, f, out _, ref evicted));
        Assert.Equal(DefragResult.Duplicate, pool.Add(0, 1, 3, 1, f, out _, ref evicted));
        Assert.Equal(DefragResult.Bad, pool.Add(0, 1, 3, 2, new byte[90], out _, ref evicted));  // non-last of another size
        Assert.Equal(DefragResult.Bad, pool.Add(0, 1, 3, 3, new byte[101], out _, ref evicted)); // last larger than the others
        Assert.Equal(DefragResult.Bad, pool.Add(0, 1, 4, 2, f, out _, ref evicted));             // count changed
        Assert.Equal(DefragResult.Pending, pool.Add(1, 7, 2, 2, new byte[10], out _, ref evicted));
        Assert.Equal(2, pool.InUse);
        Assert.Equal(DefragResult.Pending, pool.Add(2, 9, 2, 1, f, out _, ref evicted));         // evicts host 0's (oldest)
        Assert.Equal(1, evicted);
        Assert.Equal(DefragResult.Complete, pool.Add(1, 7, 2, 1, f, out ReadOnlySpan<byte> whole, ref evicted));
        Assert.Equal(110, whole.Length);
        Assert.Equal(DefragResult.Bad, pool.Add(3, 1, 255, 1, new byte[300], out _, ref evicted)); // 254 × 300 > 64 KiB
        pool.FreeHost(2);
        Assert.Equal(0, pool.InUse);
    }

    [Fact]
    public void ReclaimFreesBuffersMoreThan32Behind()
    {
        var pool = new KnetDefragPool(4);
        long evicted = 0;
        pool.Add(0, 10, 2, 1, new byte[50], out _, ref evicted);
        pool.Add(0, 40, 2, 1, new byte[50], out _, ref evicted);
        pool.Reclaim(0, 43, ref evicted);
        Assert.Equal(1, pool.InUse);
        Assert.Equal(1, evicted);
    }
}
