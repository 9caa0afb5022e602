using System.Numerics;
using System.Text;

namespace FastTotem.Cli.Bench;

/// <summary>
/// A log-linear latency histogram in nanoseconds (HdrHistogram's idea, 32 sub-buckets per power of two, about 3 %
/// precision), preallocated so recording allocates nothing. native/cpgprobe.c computes the same bucket index, so
/// histograms of FastTotem nodes and libcpg probes merge into one distribution.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>Values below this are their own bucket.</summary>
    private const int LinearLimit = 64;

    /// <summary>Sub-buckets per power of two above <see cref="LinearLimit"/>.</summary>
    private const int SubBuckets = 32;

    /// <summary>Largest magnitude kept (2^41 ns is about 36 minutes); larger values land in the last bucket.</summary>
    private const int MagnitudeMax = 41;

    public const int BucketCount = LinearLimit + (MagnitudeMax - 5) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long MaxNs { get; private set; }

    /// <summary>The bucket of <paramref name="ns"/>; the same formula as bucket_of() in native/cpgprobe.c.</summary>
    public static int BucketOf(long ns)
    {
        if (ns < LinearLimit)
        {
            return ns < 0 ? 0 : (int)ns;
        }

        int magnitude = 63 - BitOperations.LeadingZeroCount((ulong)ns); // >= 6
        if (magnitude > MagnitudeMax)
        {
            return BucketCount - 1;
        }

        int sub = (int)(ns >> (magnitude - 5)) - SubBuckets; // 0..31
        return LinearLimit + (magnitude - 6) * SubBuckets + sub;
    }

    /// <summary>The middle of bucket <paramref name="index"/> in ns.</summary>
    public static double ValueOf(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        int magnitude = (index - LinearLimit) / SubBuckets + 6;
        int sub = (index - LinearLimit) % SubBuckets;
        double low = (double)(SubBuckets + sub) * (1L << (magnitude - 5));
        return low + (1L << (magnitude - 5)) / 2.0;
    }

    public void Record(long ns)
    {
        _counts[BucketOf(ns)]++;
        Count++;
        if (ns > MaxNs)
        {
            MaxNs = ns;
        }
    }

    public void Add(int bucket, long count)
    {
        if ((uint)bucket < BucketCount && count > 0)
        {
            _counts[bucket] += count;
            Count += count;
            MaxNs = Math.Max(MaxNs, (long)ValueOf(bucket));
        }
    }

    public void Merge(LatencyHistogram other)
    {
        for (int i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxNs = Math.Max(MaxNs, other.MaxNs);
    }

    /// <summary>The value below which <paramref name="fraction"/> of the samples lie, in ns; NaN when empty.</summary>
    public double Percentile(double fraction)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        long rank = (long)Math.Ceiling(fraction * Count);
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank && _counts[i] > 0)
            {
                return ValueOf(i);
            }
        }

        return MaxNs;
    }

    /// <summary>Sparse "[[bucket,count],...]" for the node's JSON line (cold path).</summary>
    public string ToSparseJson()
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < BucketCount; i++)
        {
            if (_counts[i] != 0)
            {
                if (sb.Length > 1)
                {
                    sb.Append(',');
                }

                sb.Append('[').Append(i).Append(',').Append(_counts[i]).Append(']');
            }
        }

        return sb.Append(']').ToString();
    }
}
