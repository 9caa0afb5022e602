using System.Runtime.InteropServices;
using FastTotem.Transport;

namespace FastTotem.Cli.Bench;

/// <summary>
/// Precise sleeps on CLOCK_MONOTONIC (clock_nanosleep with TIMER_ABSTIME): paced senders wait for their next slot
/// without spinning a core, which on a 2-core machine would take it from the protocol threads being measured.
/// </summary>
internal static unsafe partial class BenchClock
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;

    /// <summary>Sleeps until CLOCK_MONOTONIC reaches <paramref name="deadlineNs"/> (returns at once if it has).</summary>
    public static void SleepUntil(long deadlineNs)
    {
        while (MonotonicClock.NowNs() < deadlineNs)
        {
            Timespec ts = new() { Seconds = deadlineNs / 1_000_000_000, Nanoseconds = deadlineNs % 1_000_000_000 };
            clock_nanosleep(ClockMonotonic, TimerAbsolute, &ts, null); // EINTR: loop and sleep again
        }
    }

    /// <summary>Sleeps for <paramref name="ns"/> nanoseconds.</summary>
    public static void Sleep(long ns) => SleepUntil(MonotonicClock.NowNs() + ns);

    [LibraryImport("libc")]
    private static partial int clock_nanosleep(int clock, int flags, Timespec* request, Timespec* remain);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
