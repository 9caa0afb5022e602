using FastTotem.Sim;

namespace FastTotem.Simulation;

public class SimRandomTests
{
    [Fact]
    public void SameSeedSameSequenceDifferentSeedDifferentSequence()
    {
        var a = new SimRandom(42);
        var b = new SimRandom(42);
        var c = new SimRandom(43);
        int same = 0;
        for (int i = 0; i < 1000; i++)
        {
            ulong x = a.NextU64();
            Assert.Equal(x, b.NextU64());
            if (x == c.NextU64())
            {
                same++;
            }
        }

        Assert.Equal(0, same);
    }

    [Fact]
    public void KnownFirstOutputsPinTheAlgorithm()
    {
        // splitmix64(0) is the published first output 0xE220A8397B1DCDAF; xoshiro256** output follows from it.
        ulong x = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SimRandom.SplitMix64(ref x));
        var r = new SimRandom(0);
        ulong first = r.NextU64();
        var again = new SimRandom(0);
        Assert.Equal(first, again.NextU64());
        Assert.NotEqual(first, r.NextU64());
    }

    [Fact]
    public void BoundedValuesStayInRangeAndCoverIt()
    {
        var r = new SimRandom(7);
        var seen = new int[10];
        for (int i = 0; i < 10_000; i++)
        {
            int v = r.NextInt(10);
            Assert.InRange(v, 0, 9);
            seen[v]++;
            long l = r.NextLong(-5, 5);
            Assert.InRange(l, -5, 4);
            double d = r.NextDouble();
            Assert.InRange(d, 0.0, 0.9999999999999999);
        }

        foreach (int count in seen)
        {
            Assert.InRange(count, 850, 1150); // uniform: about 1000 each
        }
    }

    [Fact]
    public void ChanceMatchesItsProbability()
    {
        var r = new SimRandom(99);
        int hits = 0;
        for (int i = 0; i < 100_000; i++)
        {
            if (r.Chance(0.2))
            {
                hits++;
            }
        }

        Assert.InRange(hits, 19_000, 21_000);
        Assert.False(r.Chance(0));
    }

    [Fact]
    public void ExponentialHasTheRequestedMean()
    {
        var r = new SimRandom(5);
        double sum = 0;
        for (int i = 0; i < 50_000; i++)
        {
            long v = r.NextExponential(1_000_000);
            Assert.True(v >= 1);
            sum += v;
        }

        Assert.InRange(sum / 50_000, 970_000, 1_030_000);
    }

    [Fact]
    public void DerivedSeedsDiffer()
    {
        Assert.NotEqual(SimRandom.Derive(1, 1), SimRandom.Derive(1, 2));
        Assert.NotEqual(SimRandom.Derive(1, 1), SimRandom.Derive(2, 1));
        Assert.Equal(SimRandom.Derive(3, 4), SimRandom.Derive(3, 4));
    }
}
