namespace FastTotem.Sim;

/// <summary>
/// The simulator's only source of randomness: xoshiro256** seeded through splitmix64, so one 64-bit seed
/// reproduces a whole run on any machine and .NET version (System.Random's algorithm is not a contract).
/// </summary>
internal sealed class SimRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SimRandom(ulong seed)
    {
        // splitmix64 spreads any seed (including 0) over the 256-bit state, which must not be all zero.
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    public static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Derives an independent seed (for example one per sweep iteration) from a base seed and an index.</summary>
    public static ulong Derive(ulong seed, ulong index)
    {
        ulong x = seed ^ (index * 0xD1B54A32D192ED03UL);
        return SplitMix64(ref x);
    }

    public ulong NextU64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 bits of precision.</summary>
    public double NextDouble() => (NextU64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, maxExclusive); Lemire's multiply-shift with rejection keeps it unbiased.</summary>
    public ulong NextU64(ulong maxExclusive)
    {
        if (maxExclusive == 0)
        {
            Invariant.ThrowArgument(nameof(maxExclusive), "invalid argument");
        }

        ulong threshold = (0 - maxExclusive) % maxExclusive;
        while (true)
        {
            ulong r = NextU64();
            ulong high = Math.BigMul(r, maxExclusive, out ulong low);
            if (low >= threshold)
            {
                return high;
            }
        }
    }

    public int NextInt(int maxExclusive) => (int)NextU64((ulong)maxExclusive);

    /// <summary>Uniform in [minInclusive, maxExclusive).</summary>
    public long NextLong(long minInclusive, long maxExclusive) =>
        minInclusive + (long)NextU64((ulong)(maxExclusive - minInclusive));

    public bool Chance(double probability) => probability > 0 && NextDouble() < probability;

    /// <summary>Exponentially distributed interval with the given mean, for Poisson arrivals.</summary>
    public long NextExponential(long meanNs)
    {
        double u = 1.0 - NextDouble(); // (0, 1]
        double v = -Math.Log(u) * meanNs;
        return v >= long.MaxValue / 4 ? long.MaxValue / 4 : Math.Max(1, (long)v);
    }
}
