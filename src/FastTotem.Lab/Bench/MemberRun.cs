using FastTotem.Transport;

namespace FastTotem.Cli.Bench;

/// <summary>
/// Drives one scenario over member processes that speak the bench's line protocol (bench-node, cpgprobe -G,
/// bench-udp): wait for every <c>joined</c>, send <c>start T</c>, sample CPU at the window's edges from /proc,
/// collect the JSON lines and aggregate them into a <see cref="BenchResult"/>.
/// </summary>
internal static class MemberRun
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    /// <param name="cpuPids">The processes whose CPU counts per node (e.g. a daemon and its client).</param>
    /// <param name="daemons">The ring's corosync daemons, watched over the window (CPU, retransmits, memberships); null for none.</param>
    public static BenchResult Measure(BenchLab lab, BenchSettings settings, BenchScenario scenario, IReadOnlyList<BenchProcess> members, IReadOnlyList<int> cpuPids, int cpuNodes,
        CorosyncDaemons? daemons = null)
    {
        try
        {
            foreach (BenchProcess m in members)
            {
                if (m.WaitForLine(l => l.StartsWith("joined", StringComparison.Ordinal), JoinTimeout) == null)
                {
                    return Failed(scenario, $"a member did not join (see {m.LogFile})");
                }
            }

            long warmupNs = (long)(settings.WarmupSeconds * 1e9);
            long windowNs = (long)(settings.Seconds * 1e9);
            long start = MonotonicClock.NowNs() + 300_000_000;
            foreach (BenchProcess m in members)
            {
                m.WriteLine($"start {start}");
            }

            SleepUntil(start + warmupNs);
            long cpu0 = ProcStat.SumCpuNs(cpuPids);
            daemons?.BeginWindow();
            SleepUntil(start + warmupNs + windowNs);
            long cpu1 = ProcStat.SumCpuNs(cpuPids);
            DaemonWindow? daemonWindow = daemons?.EndWindow();
            var reports = new List<NodeReport>();
            foreach (BenchProcess m in members)
            {
                string? line = m.WaitForLine(l => l.StartsWith('{'), TimeSpan.FromSeconds(20));
                NodeReport? r = line == null ? null : NodeReport.Parse(line);
                if (r == null)
                {
                    return Failed(scenario, $"a member sent no report (see {m.LogFile})");
                }

                reports.Add(r);
            }

            double cpuPercent = cpu0 < 0 || cpu1 < 0 ? double.NaN : (cpu1 - cpu0) / (double)windowNs * 100 / cpuNodes;
            return Aggregate(scenario, reports, cpuPercent, daemonWindow);
        }
        finally
        {
            foreach (BenchProcess m in members)
            {
                m.Process.WaitForExit(3000);
            }

            lab.Stop(members);
        }
    }

    public static BenchResult Failed(BenchScenario scenario, string why) => new() { Scenario = scenario, Error = why };

    private static BenchResult Aggregate(BenchScenario scenario, List<NodeReport> reports, double cpuPercent, DaemonWindow? daemons)
    {
        var latency = new LatencyHistogram();
        double msgs = 0, bytes = 0, sent = 0;
        long alloc = 0, senderAlloc = 0, gc = 0, gaps = 0, reorders = 0, counted = 0, ringChanges = 0;
        // Allocation and loop I/O come from the members that count them (FastTotem nodes): in the mixed ring, the
        // FastTotem node's own figures per message it sent or delivered.
        bool managed = false;
        int receivers = 0;
        long syscalls = 0, packets = 0, wakeups = 0, deliveredAll = 0;
        bool countedIo = false;
        // A member's configuration changes from the start to its report, or a daemon's new memberships in the window.
        ringChanges = daemons?.Memberships ?? 0;
        foreach (NodeReport r in reports)
        {
            latency.Merge(r.Latency);
            if (r.Receives)
            {
                msgs += r.Delivered / r.WindowSeconds;
                bytes += r.Bytes / r.WindowSeconds;
                receivers++;
            }

            sent += r.Sent / r.WindowSeconds;
            if (r.Syscalls >= 0)
            {
                countedIo = true;
                deliveredAll += r.Receives ? r.Delivered : 0;
                syscalls += r.Syscalls;
                packets += r.Packets;
                wakeups += r.Wakeups;
            }

            gaps += r.Gaps;
            ringChanges = Math.Max(ringChanges, r.RingChanges);
            reorders += r.Reorders;
            if (r.AllocBytes >= 0)
            {
                managed = true;
                counted += r.Sent + r.Delivered;
                alloc += r.AllocBytes;
                senderAlloc += Math.Max(0, r.SenderThreadAllocBytes);
                gc += r.GcCount;
            }
        }

        return new BenchResult
        {
            Scenario = scenario,
            MsgsPerSec = receivers == 0 ? double.NaN : msgs / receivers,
            BytesPerSec = receivers == 0 ? double.NaN : bytes / receivers,
            SentPerSec = sent,
            P50Ms = latency.Percentile(0.5) / 1e6,
            P99Ms = latency.Percentile(0.99) / 1e6,
            P999Ms = latency.Percentile(0.999) / 1e6,
            CpuPercentPerNode = cpuPercent,
            AllocBytesPerMsg = managed && counted > 0 ? alloc / (double)counted : double.NaN,
            SenderThreadAllocBytes = managed ? senderAlloc : double.NaN,
            GcCount = managed ? gc : -1,
            Gaps = gaps,
            Reorders = reorders,
            SyscallsPerMsg = countedIo && deliveredAll > 0 ? syscalls / (double)deliveredAll : double.NaN,
            PacketsPerMsg = countedIo && deliveredAll > 0 ? packets / (double)deliveredAll : double.NaN,
            WakeupsPerMsg = countedIo && deliveredAll > 0 ? wakeups / (double)deliveredAll : double.NaN,
            DaemonCpuPercent = daemons?.CpuPercent ?? double.NaN,
            DaemonCpuMaxPercent = daemons?.CpuMaxPercent ?? double.NaN,
            DaemonRetransmits = daemons?.Retransmits ?? -1,
            RingChanges = ringChanges,
            Note = ringChanges > 0 ? $"ring re-formed ({ringChanges} config changes)" : "",
        };
    }

    public static void SleepUntil(long ns)
    {
        while (true)
        {
            long left = ns - MonotonicClock.NowNs();
            if (left <= 0)
            {
                return;
            }

            Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, Math.Min(left, 50_000_000) / 100)));
        }
    }
}
