using System.Diagnostics;

namespace FastTotem.Transport;

/// <summary>CLOCK_MONOTONIC in nanoseconds, the only clock the driver reads (engines get time passed in).</summary>
internal static class MonotonicClock
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    public static long NowNs() =>
        Stopwatch.Frequency == 1_000_000_000 ? Stopwatch.GetTimestamp() : (long)(Stopwatch.GetTimestamp() * NsPerTick);
}
