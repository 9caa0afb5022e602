using System.Text;

namespace FastTotem.Cli.Bench;

/// <summary>
/// The macro sweep: every system, every size, one sender and all senders, as fast as flow control allows; its
/// report compares FastTotem with corosync (as shipped and without SCHED_RR) and raw UDP against issue 7's targets.
/// </summary>
internal sealed class ThroughputMode : IBenchMode
{
    public string Name => "throughput";

    public IEnumerable<BenchScenario> Plan(BenchSettings settings)
    {
        foreach (string system in settings.Systems)
        {
            if (system is "fasttotem-rr" or "fasttotem-busy")
            {
                continue; // the scheduling and busy-poll comparisons are about latency; throughput runs as shipped
            }

            for (int run = 1; run <= settings.Runs; run++)
            {
                foreach (int size in settings.Sizes)
                {
                    foreach (bool all in settings.SenderModes)
                    {
                        if (all && system is "udp" or "wire")
                        {
                            continue; // raw UDP is one sender to one receiver
                        }

                        if (all && system == "mixed")
                        {
                            continue; // the mixed ring's question is a FastTotem sender's effect on corosync receivers
                        }

                        if (system == "fasttotem-unbounded" && (all || size > 1024))
                        {
                            continue; // the flood-latency yardstick: 64 B and 1 KiB, one sender
                        }

                        yield return new BenchScenario(system, size, all, 0, run);
                    }
                }
            }
        }
    }

    public string Markdown(BenchSettings settings, IReadOnlyList<BenchResult> results)
    {
        Dictionary<string, BenchResult> med = BenchMedian.Of(results.Where(r => r.Scenario.Rate == 0));
        var sb = new StringBuilder();
        sb.Append("### Throughput (msgs/s delivered per node, median of ").Append(settings.Runs).Append(" runs)\n\n");
        sb.Append("| size | senders | FastTotem | corosync | corosync-norr | raw UDP | FastTotem / corosync | target | FastTotem MB/s |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|---|---:|\n");
        foreach (int size in settings.Sizes)
        {
            foreach (bool all in settings.SenderModes)
            {
                BenchResult? ft = BenchMedian.Find(med, "fasttotem", size, all);
                BenchResult? cs = BenchMedian.Find(med, "corosync", size, all);
                BenchResult? nr = BenchMedian.Find(med, "corosync-norr", size, all);
                BenchResult? udp = all ? null : BenchMedian.Find(med, "udp", size, false);
                double ratio = (ft?.MsgsPerSec ?? double.NaN) / (cs?.MsgsPerSec ?? double.NaN);
                string target = all ? AllTarget(med, size) : OneTarget(size, ratio);
                sb.Append($"| {BenchFormat.Size(size)} | {(all ? "all" : "one")} | {Cell(ft)} | {Cell(cs)} | {Cell(nr)} | {Cell(udp)} | {BenchFormat.Ratio(ratio)} | {target} | {BenchFormat.Fixed((ft?.BytesPerSec ?? double.NaN) / 1e6, 1)} |\n");
            }
        }

        sb.Append('\n').Append(RawTarget(settings, med)).Append("\n\n");
        AppendWire(sb, settings, med);
        AppendFlood(sb, settings, med);
        if (settings.Systems.Contains("mixed"))
        {
            sb.Append(Mixed(settings, results)).Append('\n');
        }

        if (settings.Systems.Any(s => s.Contains("-knet", StringComparison.Ordinal)))
        {
            AppendKnet(sb, settings, med);
        }

        sb.Append("### Details per system (medians)\n\n");
        sb.Append("| system | size | senders | msgs/s | MB/s | p50 ms | p99 ms | p99.9 ms | CPU/node % | alloc B/msg | GCs | gaps | CPU µs/msg | syscalls/msg | packets/msg | wake-ups/msg | note |\n");
        sb.Append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        foreach (string system in settings.Systems)
        {
            foreach (int size in settings.Sizes)
            {
                foreach (bool all in settings.SenderModes)
                {
                    BenchResult? r = BenchMedian.Find(med, system, size, all);
                    if (r != null)
                    {
                        sb.Append(DetailRow(r)).Append('\n');
                    }
                }
            }
        }

        return sb.ToString();
    }

    public static string DetailRow(BenchResult r)
    {
        BenchScenario s = r.Scenario;
        if (r.Error != null)
        {
            return $"| {s.System} | {BenchFormat.Size(s.Size)} | {s.Senders} | {r.Error} | | | | | | | | | | | | | |";
        }

        return $"| {s.System} | {BenchFormat.Size(s.Size)} | {s.Senders}{(s.Rate > 0 ? $" @{s.Rate:0}/s" : "")} | {BenchFormat.Count(r.MsgsPerSec)} | {BenchFormat.Fixed(r.BytesPerSec / 1e6, 1)} | " +
            $"{BenchFormat.Fixed(r.P50Ms, 3)} | {BenchFormat.Fixed(r.P99Ms, 3)} | {BenchFormat.Fixed(r.P999Ms, 3)} | {BenchFormat.Fixed(r.CpuPercentPerNode, 0)} | " +
            $"{BenchFormat.Fixed(r.AllocBytesPerMsg, 2)} | {(r.GcCount < 0 ? "n/a" : r.GcCount.ToString(System.Globalization.CultureInfo.InvariantCulture))} | {r.Gaps} | " +
            $"{BenchFormat.Fixed(r.CpuUsPerMsg, 2)} | {BenchFormat.Fixed(r.SyscallsPerMsg, 3)} | {BenchFormat.Fixed(r.PacketsPerMsg, 3)} | {BenchFormat.Fixed(r.WakeupsPerMsg, 4)} | {r.Note} |";
    }

    /// <summary>
    /// The mixed ring (FastTotem on host 1 sending, corosync daemons with cpgprobe receiving on hosts 2..N) against the
    /// corosync-only ring, one sender, per size and at the fixed rate: msgs/s and their ratio, the daemons' CPU,
    /// losses, reorderings, ring changes and the daemons' retransmits in the window; and the target that the flood
    /// leaves the daemons undisturbed. Printed after the table as well as in the markdown.
    /// </summary>
    public static string Mixed(BenchSettings settings, IReadOnlyList<BenchResult> results)
    {
        Dictionary<string, BenchResult> med = BenchMedian.Of(results);
        var rows = settings.Sizes.Select(size => (Size: size, Rate: 0.0)).ToList();
        if (settings.LatencyRate > 0)
        {
            rows.Add((settings.LatencySize, settings.LatencyRate));
        }

        var sb = new StringBuilder();
        sb.Append($"### Mixed ring: FastTotem on host 1 sending to {settings.Nodes - 1} corosync 3.1.7 daemons receiving with cpgprobe (one sender, median of {settings.Runs} runs)\n\n");
        sb.Append("| size | mixed msgs/s | corosync msgs/s | mixed / corosync | daemon CPU % mixed (max) | daemon CPU % corosync (max) | gaps | reorders | ring changes | daemon retransmits mixed / corosync |\n");
        sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        var trouble = new List<string>();
        bool any = false;
        foreach ((int size, double rate) in rows)
        {
            BenchResult? mx = BenchMedian.Find(med, "mixed", size, false, rate);
            BenchResult? cs = BenchMedian.Find(med, "corosync", size, false, rate);
            string label = BenchFormat.Size(size) + (rate > 0 ? $" @{rate:0}/s" : "");
            if (mx == null && cs == null)
            {
                continue;
            }

            bool ran = mx != null && mx.Error == null;
            sb.Append($"| {label} | {Cell(mx)} | {Cell(cs)} | {BenchFormat.Ratio((mx?.MsgsPerSec ?? double.NaN) / (cs?.MsgsPerSec ?? double.NaN))} | ");
            sb.Append($"{DaemonCpu(mx)} | {DaemonCpu(cs)} | {(ran ? Number(mx!.Gaps) : "-")} | {(ran ? Number(mx!.Reorders) : "-")} | {(ran ? Number(mx!.RingChanges) : "-")} | ");
            sb.Append($"{Retransmits(mx)} / {Retransmits(cs)} |\n");
            if (!ran)
            {
                trouble.Add($"{label} did not run");
                continue;
            }

            any = true;
            double delivered = mx!.MsgsPerSec * settings.Seconds;
            if (mx.Gaps > 0 || mx.Reorders > 0 || mx.RingChanges > 0)
            {
                trouble.Add($"{label}: {mx.Gaps} gaps, {mx.Reorders} reorders, {mx.RingChanges} ring changes");
            }

            if (mx.DaemonRetransmits < 0 || mx.DaemonRetransmits >= delivered / 100)
            {
                trouble.Add($"{label}: daemon retransmits {Retransmits(mx)} for {BenchFormat.Count(delivered)} messages");
            }
        }

        sb.Append("\nDaemon CPU: the corosync process alone on each receiving host, mean (busiest), % of one core. Retransmits: stats.srp.mcast_retx summed over the daemons, read at the window's edges.\n\n");
        sb.Append(!any
            ? "Target the FastTotem flood leaves the daemons undisturbed (no gap, reordering or ring change; retransmits under 1 % of messages): n/a\n"
            : $"Target the FastTotem flood leaves the daemons undisturbed (no gap, reordering or ring change; retransmits under 1 % of messages): {(trouble.Count == 0 ? "met" : "MISSED (" + string.Join("; ", trouble) + ")")}\n");
        return sb.ToString();
    }

    private static string DaemonCpu(BenchResult? r) =>
        r == null || r.Error != null || double.IsNaN(r.DaemonCpuPercent) ? "-" : $"{BenchFormat.Fixed(r.DaemonCpuPercent, 0)} ({BenchFormat.Fixed(r.DaemonCpuMaxPercent, 0)})";

    private static string Retransmits(BenchResult? r) =>
        r == null || r.Error != null ? "-" : r.DaemonRetransmits < 0 ? "n/a" : Number(r.DaemonRetransmits);

    private static string Number(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The knet systems: FastTotem against corosync on knet, crypto none and aes256/sha256, and what the crypto costs
    /// FastTotem (target: at most 25 % of its crypto-none msgs/s at 1 KiB, one sender).
    /// </summary>
    private static void AppendKnet(StringBuilder sb, BenchSettings settings, Dictionary<string, BenchResult> med)
    {
        sb.Append("### knet (").Append(BenchConfig.KnetSummary).Append(")\n\n");
        sb.Append("| size | senders | FastTotem knet | corosync knet | FastTotem / corosync | FastTotem knet aes256 | corosync knet aes256 | FastTotem / corosync | aes256/sha256 costs FastTotem | alloc B/msg aes256 |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (int size in settings.Sizes)
        {
            foreach (bool all in settings.SenderModes)
            {
                BenchResult? ft = BenchMedian.Find(med, "fasttotem-knet", size, all);
                BenchResult? cs = BenchMedian.Find(med, "corosync-knet", size, all);
                BenchResult? fta = BenchMedian.Find(med, "fasttotem-knet-aes256", size, all);
                BenchResult? csa = BenchMedian.Find(med, "corosync-knet-aes256", size, all);
                double cost = 1 - ((fta?.MsgsPerSec ?? double.NaN) / (ft?.MsgsPerSec ?? double.NaN));
                sb.Append($"| {BenchFormat.Size(size)} | {(all ? "all" : "one")} | {Cell(ft)} | {Cell(cs)} | {BenchFormat.Ratio((ft?.MsgsPerSec ?? double.NaN) / (cs?.MsgsPerSec ?? double.NaN))} | ");
                sb.Append($"{Cell(fta)} | {Cell(csa)} | {BenchFormat.Ratio((fta?.MsgsPerSec ?? double.NaN) / (csa?.MsgsPerSec ?? double.NaN))} | ");
                sb.Append($"{(double.IsNaN(cost) ? "-" : $"{cost * 100:0} %")} | {BenchFormat.Fixed(fta?.AllocBytesPerMsg ?? double.NaN, 2)} |\n");
            }
        }

        double none1k = BenchMedian.Find(med, "fasttotem-knet", 1024, false)?.MsgsPerSec ?? double.NaN;
        double aes1k = BenchMedian.Find(med, "fasttotem-knet-aes256", 1024, false)?.MsgsPerSec ?? double.NaN;
        double cost1k = 1 - (aes1k / none1k);
        sb.Append('\n').Append(double.IsNaN(cost1k)
            ? "Target: aes256/sha256 costs FastTotem at most 25 % of its crypto-none msgs/s at 1 KiB: n/a"
            : $"Target: aes256/sha256 costs FastTotem at most 25 % of its crypto-none msgs/s at 1 KiB: {cost1k * 100:0} %: {(cost1k <= 0.25 ? "met" : "MISSED")}");
        sb.Append("\n\n");
    }

    /// <summary>
    /// One sender flooding: p50/p99 one-way latency of every system, and the bounded default's targets (p99 at most
    /// 10 ms and below corosync's, at least 90 % of fasttotem-unbounded's msgs/s) at 64 B and 1 KiB.
    /// </summary>
    private static void AppendFlood(StringBuilder sb, BenchSettings settings, Dictionary<string, BenchResult> med)
    {
        sb.Append("### Flood latency, one sender (p50 / p99 ms one-way)\n\n| size |");
        foreach (string system in settings.Systems)
        {
            sb.Append(' ').Append(system).Append(" |");
        }

        sb.Append(" target |\n|---|");
        foreach (string _ in settings.Systems)
        {
            sb.Append("---:|");
        }

        sb.Append("---|\n");
        foreach (int size in settings.Sizes)
        {
            sb.Append("| ").Append(BenchFormat.Size(size)).Append(" |");
            foreach (string system in settings.Systems)
            {
                BenchResult? r = BenchMedian.Find(med, system, size, false);
                sb.Append(' ').Append(r == null || r.Error != null ? "-" : $"{BenchFormat.Fixed(r.P50Ms, 2)} / {BenchFormat.Fixed(r.P99Ms, 2)}").Append(" |");
            }

            sb.Append(' ').Append(size <= 1024 ? FloodTarget(med, size) : "-").Append(" |\n");
        }

        sb.Append('\n');
    }

    /// <summary>Every FastTotem system's msgs/s as a share of the wire bound measured in the same run, one sender.</summary>
    private static void AppendWire(StringBuilder sb, BenchSettings settings, Dictionary<string, BenchResult> med)
    {
        if (!settings.Systems.Contains("wire"))
        {
            return;
        }

        sb.Append("### Share of the wire bound (full frames to N-1 peers, corosync's packing), one sender\n\n| size | wire msgs/s |");
        var systems = settings.Systems.Where(x => x != "wire" && x != "udp").ToList();
        foreach (string system in systems)
        {
            sb.Append(' ').Append(system).Append(" |");
        }

        sb.Append("\n|---|---:|");
        foreach (string _ in systems)
        {
            sb.Append("---:|");
        }

        sb.Append('\n');
        foreach (int size in settings.Sizes)
        {
            double wire = BenchMedian.Find(med, "wire", size, false)?.MsgsPerSec ?? double.NaN;
            sb.Append("| ").Append(BenchFormat.Size(size)).Append(" | ").Append(BenchFormat.Count(wire)).Append(" |");
            foreach (string system in systems)
            {
                double share = (BenchMedian.Find(med, system, size, false)?.MsgsPerSec ?? double.NaN) / wire;
                sb.Append(' ').Append(double.IsNaN(share) ? "-" : $"{share * 100:0} %").Append(" |");
            }

            sb.Append('\n');
        }

        sb.Append('\n');
        if (settings.Systems.Contains("fasttotem-accel"))
        {
            sb.Append(AccelTarget(settings, med)).Append("\n\n");
        }
    }

    /// <summary>
    /// The accelerated ring's target: at least 50 % of the wire bound at every size, one sender and all senders (the
    /// ring carries one visit's frames at a time whoever sends, so all senders are held to the same bound).
    /// </summary>
    private static string AccelTarget(BenchSettings settings, Dictionary<string, BenchResult> med)
    {
        var cells = new List<string>();
        bool met = true, any = false;
        foreach (int size in settings.Sizes)
        {
            double wire = BenchMedian.Find(med, "wire", size, false)?.MsgsPerSec ?? double.NaN;
            foreach (bool all in settings.SenderModes)
            {
                double share = (BenchMedian.Find(med, "fasttotem-accel", size, all)?.MsgsPerSec ?? double.NaN) / wire;
                if (double.IsNaN(share))
                {
                    met = false;
                    cells.Add($"{BenchFormat.Size(size)} {(all ? "all" : "one")} n/a");
                    continue;
                }

                any = true;
                met &= share >= 0.5;
                cells.Add($"{BenchFormat.Size(size)} {(all ? "all" : "one")} {share * 100:0} %");
            }
        }

        return $"Target accelerated ring >= 50 % of the wire bound at every size, one and all senders: {string.Join(", ", cells)}: {(!any ? "n/a" : met ? "met" : "MISSED")}";
    }

    private static string FloodTarget(Dictionary<string, BenchResult> med, int size)
    {
        BenchResult? ft = BenchMedian.Find(med, "fasttotem", size, false);
        BenchResult? unbounded = BenchMedian.Find(med, "fasttotem-unbounded", size, false);
        BenchResult? cs = BenchMedian.Find(med, "corosync", size, false);
        if (ft == null || ft.Error != null)
        {
            return "n/a";
        }

        double share = ft.MsgsPerSec / (unbounded?.MsgsPerSec ?? double.NaN);
        double csP99 = cs?.P99Ms ?? double.NaN;
        bool met = ft.P99Ms <= 10 && !(ft.P99Ms >= csP99) && share >= 0.9;
        return $"p99 ≤ 10 ms{(double.IsNaN(csP99) ? "" : " and < corosync's")}, ≥ 90 % of unbounded ({BenchFormat.Fixed(share * 100, 0)} %): {(double.IsNaN(share) ? "n/a" : met ? "met" : "MISSED")}";
    }

    private static string Cell(BenchResult? r) => r == null ? "-" : r.Error ?? BenchFormat.Count(r.MsgsPerSec);

    private static string OneTarget(int size, double ratio)
    {
        double want = size <= 64 ? 10 : size <= 1024 ? 4 : 2;
        return double.IsNaN(ratio) ? $">= {want}x: n/a" : $">= {want}x: {(ratio >= want ? "met" : "MISSED")}";
    }

    private static string AllTarget(Dictionary<string, BenchResult> med, int size)
    {
        if (size < 8192)
        {
            return "-";
        }

        double one = BenchMedian.Find(med, "fasttotem", size, false)?.BytesPerSec ?? double.NaN;
        double all = BenchMedian.Find(med, "fasttotem", size, true)?.BytesPerSec ?? double.NaN;
        double share = all / one;
        return double.IsNaN(share) ? ">= 80 % of one: n/a" : $">= 80 % of one: {share * 100:0} % {(share >= 0.8 ? "met" : "MISSED")}";
    }

    private static string RawTarget(BenchSettings settings, Dictionary<string, BenchResult> med)
    {
        double ft = BenchMedian.Find(med, "fasttotem", 65536, false)?.BytesPerSec ?? double.NaN;
        double udp = BenchMedian.Find(med, "udp", 65536, false)?.BytesPerSec ?? double.NaN;
        double bound = udp / Math.Max(1, settings.Nodes - 1) / 2;
        return double.IsNaN(ft) || double.IsNaN(bound)
            ? "Target 64 KiB bytes/s >= half of raw UDP / (N-1): n/a"
            : $"Target 64 KiB bytes/s >= half of raw UDP / (N-1): FastTotem {ft / 1e6:0.0} MB/s vs {bound / 1e6:0.0} MB/s: {(ft >= bound ? "met" : "MISSED")}";
    }
}
