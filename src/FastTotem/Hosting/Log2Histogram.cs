using System.Numerics;

namespace FastTotem.Hosting;

/// <summary>
/// A histogram the protocol thread fills without allocating: fixed power-of-two buckets of microseconds (bucket i
/// counts values below 2^i µs and at least 2^(i−1) µs; bucket 0 those below 1 µs), a count and a sum. The metrics
/// collector reads it from another thread at collection time; a reading may be a step behind, never torn per field.
/// </summary>
internal sealed class Log2Histogram
{
    /// <summary>Buckets up to 2^31 µs (about 36 minutes); larger values land in the last one.</summary>
    public const int BucketCount = 32;

    private readonly long[] _buckets = new long[BucketCount];
    private long _count;
    private long _sumNs;

    public long Count => Volatile.Read(ref _count);

    public long SumNs => Volatile.Read(ref _sumNs);

    public long Bucket(int index) => Volatile.Read(ref _buckets[index]);

    /// <summary>The upper bound of bucket <paramref name="index"/> in microseconds.</summary>
    public static long UpperBoundUs(int index) => 1L << index;

    /// <summary>Loop thread only.</summary>
    public void Record(long valueNs)
    {
        if (valueNs < 0)
        {
            return; // a clock that went backwards is not a sample
        }

        long us = valueNs / 1000;
        int index = us == 0 ? 0 : Math.Min(BucketCount - 1, 64 - BitOperations.LeadingZeroCount((ulong)us));
        Volatile.Write(ref _buckets[index], _buckets[index] + 1);
        Volatile.Write(ref _sumNs, _sumNs + valueNs);
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>The smallest bucket bound (µs) at or below which <paramref name="fraction"/> of the samples lie; 0 when empty.</summary>
    public long QuantileUpperBoundUs(double fraction)
    {
        long count = Count;
        if (count == 0)
        {
            return 0;
        }

        long wanted = (long)Math.Ceiling(count * fraction);
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += Bucket(i);
            if (seen >= wanted)
            {
                return UpperBoundUs(i);
            }
        }

        return UpperBoundUs(BucketCount - 1);
    }
}
