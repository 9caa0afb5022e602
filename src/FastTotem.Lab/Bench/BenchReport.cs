using System.Globalization;
using System.Text;

namespace FastTotem.Cli.Bench;

/// <summary>The outputs of a bench run: a human table, markdown, JSON, and the files bench-compare writes.</summary>
internal static class BenchReport
{
    public static string Machine()
    {
        string kernel = Shell.TryRun("uname", "-r").Output.Trim();
        string model = "unknown CPU";
        foreach (string line in Shell.TryRun("lscpu").Output.Split('\n'))
        {
            if (line.StartsWith("Model name:", StringComparison.Ordinal))
            {
                model = line["Model name:".Length..].Trim();
            }
        }

        return $"Linux {kernel}, {Environment.ProcessorCount} cores, {model}";
    }

    public static string Text(IReadOnlyList<BenchResult> results)
    {
        var sb = new StringBuilder();
        sb.Append($"{"system",-14} {"size",7} {"send",4} {"msgs/s",12} {"MB/s",8} {"p50 ms",8} {"p99 ms",8} {"p99.9",8} {"cpu %",6} {"B/msg",7} {"GCs",4} {"gaps",5} {"cpu µs/msg",10} {"sys/msg",8} {"pkt/msg",8} {"wake/msg",8}  note\n");
        foreach (BenchResult r in BenchMedian.Of(results).Values)
        {
            BenchScenario s = r.Scenario;
            string send = s.Rate > 0 ? $"@{s.Rate:0}" : s.Senders;
            if (r.Error != null)
            {
                sb.Append($"{s.System,-14} {BenchFormat.Size(s.Size),7} {send,4} {r.Error}\n");
                continue;
            }

            sb.Append($"{s.System,-14} {BenchFormat.Size(s.Size),7} {send,4} {BenchFormat.Count(r.MsgsPerSec),12} {BenchFormat.Fixed(r.BytesPerSec / 1e6, 1),8} " +
                $"{BenchFormat.Fixed(r.P50Ms, 3),8} {BenchFormat.Fixed(r.P99Ms, 3),8} {BenchFormat.Fixed(r.P999Ms, 3),8} {BenchFormat.Fixed(r.CpuPercentPerNode, 0),6} " +
                $"{BenchFormat.Fixed(r.AllocBytesPerMsg, 2),7} {(r.GcCount < 0 ? "n/a" : r.GcCount.ToString(CultureInfo.InvariantCulture)),4} {r.Gaps,5} {BenchFormat.Fixed(r.CpuUsPerMsg, 2),10} {BenchFormat.Fixed(r.SyscallsPerMsg, 3),8} {BenchFormat.Fixed(r.PacketsPerMsg, 3),8} {BenchFormat.Fixed(r.WakeupsPerMsg, 4),8}  {r.Note}\n");
        }

        return sb.ToString();
    }

    /// <summary>
    /// This build against <c>--baseline</c>'s (markdown table): msgs/s ratio per size and sender mode (target at least
    /// 0.95), p99 at the fixed rate (target at most 1.1 × the baseline's), and bytes allocated per message.
    /// </summary>
    public static string Baseline(BenchSettings settings, IReadOnlyList<BenchResult> results)
    {
        Dictionary<string, BenchResult> med = BenchMedian.Of(results);
        var sb = new StringBuilder();
        sb.Append($"### This build against the baseline ({settings.BaselinePath}), median of {settings.Runs} run(s)\n\n");
        sb.Append("| scenario | this build | baseline | ratio | target | B/msg (this / baseline) |\n|---|---:|---:|---:|---|---|\n");
        foreach (int size in settings.Sizes)
        {
            foreach (bool all in settings.SenderModes)
            {
                BenchResult? ft = BenchMedian.Find(med, "fasttotem", size, all);
                BenchResult? old = BenchMedian.Find(med, "baseline", size, all);
                double ratio = (ft?.MsgsPerSec ?? double.NaN) / (old?.MsgsPerSec ?? double.NaN);
                sb.Append($"| {BenchFormat.Size(size)} {(all ? "all" : "one")} msgs/s | {BenchFormat.Count(ft?.MsgsPerSec ?? double.NaN)} | " +
                    $"{BenchFormat.Count(old?.MsgsPerSec ?? double.NaN)} | {BenchFormat.Ratio(ratio)} | ≥ 0.95 {(ratio >= 0.95 ? "met" : "missed")} | " +
                    $"{BenchFormat.Fixed(ft?.AllocBytesPerMsg ?? double.NaN, 2)} / {BenchFormat.Fixed(old?.AllocBytesPerMsg ?? double.NaN, 2)} |\n");
            }
        }

        if (settings.LatencyRate > 0)
        {
            BenchResult? ft = med.Values.FirstOrDefault(r => r.Scenario.System == "fasttotem" && r.Scenario.Rate > 0);
            BenchResult? old = med.Values.FirstOrDefault(r => r.Scenario.System == "baseline" && r.Scenario.Rate > 0);
            double ratio = (ft?.P99Ms ?? double.NaN) / (old?.P99Ms ?? double.NaN);
            sb.Append($"| p99 ms at {settings.LatencyRate:0} msgs/s of {BenchFormat.Size(settings.LatencySize)} | {BenchFormat.Fixed(ft?.P99Ms ?? double.NaN, 3)} | " +
                $"{BenchFormat.Fixed(old?.P99Ms ?? double.NaN, 3)} | {BenchFormat.Ratio(ratio)} | ≤ 1.1 {(ratio <= 1.1 ? "met" : "missed")} | " +
                $"{BenchFormat.Fixed(ft?.AllocBytesPerMsg ?? double.NaN, 2)} / {BenchFormat.Fixed(old?.AllocBytesPerMsg ?? double.NaN, 2)} |\n");
        }

        return sb.ToString();
    }

    public static string Markdown(BenchSettings settings, IReadOnlyList<IBenchMode> modes, IReadOnlyList<BenchResult> results, string date, string chartFile)
    {
        var sb = new StringBuilder();
        sb.Append($"# FastTotem macro benchmark, {date}\n\n");
        sb.Append($"Machine: {Machine()}. Ring of {settings.Nodes} nodes, each in its own network namespace (veth + bridge), ");
        sb.Append($"{settings.WarmupSeconds:0.#} s warm-up then {settings.Seconds:0.#} s measured, median of {settings.Runs} run(s).\n\n");
        sb.Append($"Totem options for FastTotem and corosync alike: {BenchConfig.TotemSummary(settings)}. FastTotem deliveries: {settings.Delivery}; ");
        sb.Append("each FastTotem node is its own process (TotemNode + ProcessGroup) with normal scheduling (FastTotem's default, system.sched_rr: no), fasttotem-rr the same under chrt -r 99; ");
        sb.Append("corosync is 3.1.7 with native/cpgprobe (libcpg) per node, as shipped (SCHED_RR 99), corosync-norr with sched_rr: no; ");
        sb.Append("mixed is one ring of a FastTotem node (host 1, the sender) and corosync daemons as shipped with cpgprobe receiving (hosts 2..N). ");
        sb.Append("msgs/s = messages delivered per second at a node (mean over nodes); latency = one-way, send to delivery, all nodes; ");
        sb.Append("CPU/node = node process, or corosync + cpgprobe; alloc = managed heap bytes per message sent or delivered in the window.\n\n");
        sb.Append($"![messages/s against size]({chartFile})\n\n");
        foreach (IBenchMode mode in modes)
        {
            sb.Append(mode.Markdown(settings, results)).Append('\n');
        }

        if (settings.BaselinePath != null)
        {
            sb.Append(Baseline(settings, results)).Append('\n');
        }

        // Every FastTotem system of this build, every mode (the baseline is another build).
        var ft = results.Where(r => r.Scenario.System.StartsWith("fasttotem", StringComparison.Ordinal) && r.Error == null).ToList();
        if (ft.Count > 0)
        {
            double worst = ft.Max(r => r.AllocBytesPerMsg);
            long gcs = ft.Max(r => r.GcCount);
            BenchResult worstRun = ft.MaxBy(r => r.AllocBytesPerMsg)!;
            sb.Append($"Allocation target (0 B/msg, no GC in the window, every FastTotem system and mode): worst run {BenchFormat.Fixed(worst, 3)} B/msg ({worstRun.Scenario}), at most {gcs} GC(s) per run: ");
            sb.Append(worst == 0 && gcs == 0 ? "met\n" : "MISSED\n");
        }

        string text = sb.ToString();
        int met = System.Text.RegularExpressions.Regex.Count(text, @"\bmet\b");
        int missed = System.Text.RegularExpressions.Regex.Count(text, @"\bMISSED\b");
        return text + $"\nTargets in this report: {met} met, {missed} MISSED.\n";
    }

    public static string Json(BenchSettings settings, IReadOnlyList<BenchResult> results, string date)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"{{\"date\":\"{date}\",\"machine\":\"{Machine().Replace("\"", "'")}\",\"nodes\":{settings.Nodes},\"runs\":{settings.Runs},");
        sb.Append(inv, $"\"warmup_s\":{settings.WarmupSeconds},\"seconds\":{settings.Seconds},\"delivery\":\"{settings.Delivery}\",\"totem\":\"{BenchConfig.TotemSummary(settings)}\",\n\"runs_raw\":[\n");
        AppendResults(sb, results);
        sb.Append("],\n\"medians\":[\n");
        AppendResults(sb, BenchMedian.Of(results).Values.ToList());
        sb.Append("]}\n");
        return sb.ToString();
    }

    private static void AppendResults(StringBuilder sb, IReadOnlyList<BenchResult> results)
    {
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < results.Count; i++)
        {
            BenchResult r = results[i];
            BenchScenario s = r.Scenario;
            sb.Append(inv, $"{{\"system\":\"{s.System}\",\"size\":{s.Size},\"senders\":\"{s.Senders}\",\"rate\":{s.Rate},\"run\":{s.Run},");
            sb.Append(inv, $"\"error\":{(r.Error == null ? "null" : "\"" + r.Error.Replace("\\", "/").Replace("\"", "'") + "\"")},");
            sb.Append(inv, $"\"msgs_per_s\":{BenchFormat.Json(r.MsgsPerSec)},\"bytes_per_s\":{BenchFormat.Json(r.BytesPerSec)},\"sent_per_s\":{BenchFormat.Json(r.SentPerSec)},");
            sb.Append(inv, $"\"p50_ms\":{BenchFormat.Json(r.P50Ms)},\"p99_ms\":{BenchFormat.Json(r.P99Ms)},\"p999_ms\":{BenchFormat.Json(r.P999Ms)},");
            sb.Append(inv, $"\"cpu_percent_per_node\":{BenchFormat.Json(r.CpuPercentPerNode)},\"alloc_bytes_per_msg\":{BenchFormat.Json(r.AllocBytesPerMsg)},");
            sb.Append(inv, $"\"sender_thread_alloc_bytes\":{BenchFormat.Json(r.SenderThreadAllocBytes)},\"gc\":{r.GcCount},\"gaps\":{r.Gaps},\"reorders\":{r.Reorders},");
            sb.Append(inv, $"\"cpu_us_per_msg\":{BenchFormat.Json(r.CpuUsPerMsg)},\"syscalls_per_msg\":{BenchFormat.Json(r.SyscallsPerMsg)},\"packets_per_msg\":{BenchFormat.Json(r.PacketsPerMsg)},\"wakeups_per_msg\":{BenchFormat.Json(r.WakeupsPerMsg)},");
            sb.Append(inv, $"\"ring_changes\":{r.RingChanges},\"daemon_cpu_percent\":{BenchFormat.Json(r.DaemonCpuPercent)},\"daemon_cpu_max_percent\":{BenchFormat.Json(r.DaemonCpuMaxPercent)},");
            sb.Append(inv, $"\"daemon_retransmits\":{r.DaemonRetransmits},\"note\":\"{r.Note}\"}}");
            sb.Append(i + 1 < results.Count ? ",\n" : "\n");
        }
    }
}
