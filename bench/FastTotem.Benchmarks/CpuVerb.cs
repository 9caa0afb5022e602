using System.Globalization;
using System.Runtime.InteropServices;

namespace FastTotem.Benchmarks;

/// <summary>
/// <c>cpu [SECONDS]</c>: the micro benchmarks again, timed by the thread's CPU clock (CLOCK_THREAD_CPUTIME_ID)
/// instead of the wall clock, with the allocated bytes of the same thread. On a shared, oversubscribed machine the
/// wall-clock figures of BenchmarkDotNet include the time the thread waited for a core; CPU time does not (it still
/// includes cache and frequency effects of the neighbours). Exit code 1 when any scenario allocated.
/// </summary>
internal static class CpuVerb
{
    private const int ClockThreadCpuTime = 3;

    public static int Run(string[] args)
    {
        double seconds = 1.0;
        if (args.Length > 0 && (!double.TryParse(args[0], NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || seconds <= 0))
        {
            Console.Error.WriteLine("usage: FastTotem.Benchmarks cpu [SECONDS per scenario]");
            return 2;
        }

        var engine64x1 = new SrpEngineBenchmarks { Size = 64, Senders = 1 };
        var engine64x3 = new SrpEngineBenchmarks { Size = 64, Senders = 3 };
        var engine1kx1 = new SrpEngineBenchmarks { Size = 1024, Senders = 1 };
        var engine1kx3 = new SrpEngineBenchmarks { Size = 1024, Senders = 3 };
        var pg = new PgBenchmarks();
        var sync = new SyncBenchmarks();
        var cpg = new CpgBenchmarks();
        var stack = new NodeStackBenchmarks();
        engine64x1.Setup();
        engine64x3.Setup();
        engine1kx1.Setup();
        engine1kx3.Setup();
        pg.Setup();
        sync.Setup();
        cpg.Setup();
        stack.Setup();

        Console.WriteLine("| Scenario | CPU ns/op | ops/s (CPU) | Allocated B/op |");
        Console.WriteLine("|---|---:|---:|---:|");
        bool allocated = false;
        allocated |= Measure("SRP engine, 64 B, 1 sender", SrpEngineBenchmarks.MessagesPerInvoke, seconds, engine64x1.OrderAndDeliver);
        allocated |= Measure("SRP engine, 64 B, 3 senders", SrpEngineBenchmarks.MessagesPerInvoke, seconds, engine64x3.OrderAndDeliver);
        allocated |= Measure("SRP engine, 1 KiB, 1 sender", SrpEngineBenchmarks.MessagesPerInvoke, seconds, engine1kx1.OrderAndDeliver);
        allocated |= Measure("SRP engine, 1 KiB, 3 senders", SrpEngineBenchmarks.MessagesPerInvoke, seconds, engine1kx3.OrderAndDeliver);
        allocated |= Measure("totempg pack 64 B", PgBenchmarks.SmallMessages, seconds, () => pg.Pack64ByteMessages());
        allocated |= Measure("totempg fragment 64 KiB", 1, seconds, () => pg.Fragment64KiB());
        allocated |= Measure("totempg reassemble 64 KiB", 1, seconds, () => pg.Reassemble64KiB());
        allocated |= Measure("totempg group delivery 64 B", PgBenchmarks.GroupDeliveries, seconds, () => pg.GroupsDeliver64());
        allocated |= Measure("sync round, 3 nodes x 4 services", 1, seconds, () => sync.ThreeNodeRound());
        allocated |= Measure("CPG mcast delivery 64 B", CpgBenchmarks.Deliveries, seconds, () => cpg.DeliverMcast64());
        allocated |= Measure("NodeStack x3, 64 B on a group", NodeStackBenchmarks.MessagesPerInvoke, seconds, stack.SendOnGroupDeliverEverywhere);
        return allocated ? 1 : 0;
    }

    private static bool Measure(string name, int operationsPerInvoke, double seconds, Action invoke)
    {
        // Warm up (tiered JIT to its final code), then run whole invokes until the CPU budget is spent.
        long warmEnd = ThreadCpuNs() + (long)(seconds * 0.3e9);
        while (ThreadCpuNs() < warmEnd)
        {
            invoke();
        }

        long invokes = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long start = ThreadCpuNs();
        long end = start + (long)(seconds * 1e9);
        long now;
        do
        {
            invoke();
            invokes++;
            now = ThreadCpuNs();
        }
        while (now < end);

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        double ops = (double)invokes * operationsPerInvoke;
        double nsPerOp = (now - start) / ops;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {nsPerOp:F1} | {1e9 / nsPerOp:N0} | {allocated / ops:F2} |"));
        return allocated != 0;
    }

    private static long ThreadCpuNs()
    {
        if (clock_gettime(ClockThreadCpuTime, out TimeSpec ts) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        }

        return (ts.Seconds * 1_000_000_000L) + ts.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clockId, out TimeSpec ts);
}
