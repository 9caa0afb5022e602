using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FastTotem.Cli.Bench;

/// <summary>
/// <c>fasttotem bench --latency</c>: two ring members in two namespaces (loopback addresses without root), one
/// pinging at a fixed rate, one echoing. Ping-pong (round trip, measured by the pinger) and one-way (measured by
/// the receiver; CLOCK_MONOTONIC is shared by every namespace of the host) for FastTotem's C# API
/// (bench-latency-node), its C API (native/ftlatency on libfasttotem.so), each with the loop in epoll or
/// busy-polling (only the pinger's loop spins, pinned to the last CPU: at most one spinning loop on a small
/// machine), and corosync 3.1.7 + libcpg (native/cpgprobe -L). Reports p50/p99/p99.9/max, GC collections in the
/// window, where the loop threads ran, and the issue's targets.
/// </summary>
internal static class LatencyBench
{
    private static int _group;

    private static readonly string[] Variants = { "fasttotem-cs", "fasttotem-c", "fasttotem-cs-busy", "fasttotem-c-busy", "corosync" };

    public static int Run(BenchSettings settings)
    {
        bool root = BenchLab.IsRoot();
        using var lab = new BenchLab(2, root);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Abort(lab, c));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Abort(lab, c));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => lab.Dispose();
        string dir = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";
        string ftlatency = Path.Combine(dir, "native", "ftlatency");
        var rows = new List<Row>();
        List<BenchProcess>? daemons = null;
        try
        {
            foreach (string variant in Variants)
            {
                string? unavailable = variant switch
                {
                    "corosync" when !root => "n/a (needs root)",
                    "corosync" when !File.Exists("/usr/sbin/corosync") => "n/a (corosync not installed)",
                    "corosync" when !File.Exists(settings.CpgProbePath) => $"n/a ({settings.CpgProbePath} missing)",
                    "fasttotem-c" or "fasttotem-c-busy" when !File.Exists(ftlatency) => $"n/a ({ftlatency} missing: ./build.sh native)",
                    _ => null,
                };
                if (variant == "corosync" && unavailable == null)
                {
                    daemons = StartCorosync(lab, out unavailable);
                }

                foreach (string mode in new[] { "pingpong", "oneway" })
                {
                    foreach (double rate in settings.LatencyRates)
                    {
                        for (int run = 1; run <= settings.Runs; run++)
                        {
                            var row = new Row(variant, mode, rate, run);
                            if (FastTotem.Capture.TerminalProgress.IsTerminal)
                            {
                                Console.Error.Write($"\r{row.Label,-60}");
                            }

                            if (unavailable != null)
                            {
                                row.Error = unavailable;
                            }
                            else
                            {
                                Measure(lab, settings, ftlatency, row);
                            }

                            Console.Error.WriteLine($"{(FastTotem.Capture.TerminalProgress.IsTerminal ? "\r" : "")}{row.Label,-40} {row.Error ?? $"p50 {row.P50:0} us, p99 {row.P99:0} us, p99.9 {row.P999:0} us, max {row.Max:0} us, GCs {row.Gcs}"}");
                            rows.Add(row);
                        }
                    }
                }

                if (daemons != null)
                {
                    lab.Stop(daemons, 5000);
                    daemons = null;
                }
            }
        }
        finally
        {
            if (daemons != null)
            {
                lab.Stop(daemons, 5000);
            }
        }

        string md = Markdown(settings, rows);
        Console.WriteLine(md);
        if (settings.JsonPath != null)
        {
            File.WriteAllText(settings.JsonPath, Json(settings, rows));
        }

        if (settings.ResultsDir != null)
        {
            Directory.CreateDirectory(settings.ResultsDir);
            File.WriteAllText(Path.Combine(settings.ResultsDir, "latency.md"), md);
            File.WriteAllText(Path.Combine(settings.ResultsDir, "latency.json"), Json(settings, rows));
        }

        return rows.Any(r => r.Error != null && !r.Error.StartsWith("n/a", StringComparison.Ordinal)) ? 1 : 0;
    }

    private static void Measure(BenchLab lab, BenchSettings settings, string ftlatency, Row row)
    {
        var inv = CultureInfo.InvariantCulture;
        string group = $"ftl{Environment.ProcessId}x{++_group}";
        bool busy = row.Variant.EndsWith("-busy", StringComparison.Ordinal);
        int pinCpu = Environment.ProcessorCount - 1;
        var members = new BenchProcess[2];
        for (int n = 2; n >= 1; n--)
        {
            string role = n == 1 ? "ping" : "echo";
            var args = new List<string>
            {
                "-g", group, "-m", row.Mode, "-r", row.Rate.ToString(inv), "-t", settings.Seconds.ToString(inv),
                "-w", settings.WarmupSeconds.ToString(inv), "-s", settings.LatencyPingSize.ToString(inv),
            };
            if (row.Variant == "corosync")
            {
                args.InsertRange(0, new[] { "-L", role });
                args[args.IndexOf("-m")] = "-M";
                members[n - 1] = lab.Start(n, $"cpgprobe-{role}", settings.CpgProbePath, args.ToArray());
                continue;
            }

            string conf = BenchConfig.Write(lab, n, 2, corosync: false, schedRr: false);
            args.InsertRange(0, new[] { "-c", conf, "-n", n.ToString(inv), "-R", role });
            if (busy && n == 1)
            {
                args.AddRange(new[] { "-b", "-p", pinCpu.ToString(inv) });
            }

            members[n - 1] = row.Variant.StartsWith("fasttotem-cs", StringComparison.Ordinal)
                ? lab.Start(n, $"cs-{role}", settings.FastTotemPath, new[] { "bench-latency-node" }.Concat(args).ToArray())
                : lab.Start(n, $"c-{role}", ftlatency, args.ToArray());
        }

        try
        {
            TimeSpan timeout = TimeSpan.FromSeconds(settings.WarmupSeconds + settings.Seconds + 90);
            string? ping = members[0].WaitForLine(l => l.StartsWith('{'), timeout);
            string? echo = members[1].WaitForLine(l => l.StartsWith('{'), TimeSpan.FromSeconds(40));
            string? measured = row.Mode == "pingpong" ? ping : echo;
            if (measured == null || ping == null || echo == null)
            {
                row.Error = $"no summary (see {members[0].LogFile}, {members[1].LogFile})";
                return;
            }

            using JsonDocument m = JsonDocument.Parse(measured);
            using JsonDocument p = JsonDocument.Parse(ping);
            using JsonDocument e = JsonDocument.Parse(echo);
            JsonElement r = m.RootElement;
            row.Samples = r.GetProperty("samples").GetInt64();
            row.P50 = r.GetProperty("p50_us").GetDouble();
            row.P99 = r.GetProperty("p99_us").GetDouble();
            row.P999 = r.GetProperty("p999_us").GetDouble();
            row.Max = r.GetProperty("max_us").GetDouble();
            row.Lost = Long(p.RootElement, "sent") - (row.Mode == "pingpong" ? Long(p.RootElement, "received") : Long(e.RootElement, "received") - 1);
            row.Gcs = row.Variant.StartsWith("fasttotem-cs", StringComparison.Ordinal)
                ? Gc(p.RootElement) + Gc(e.RootElement)
                : -1;
            row.HostAlloc = row.Variant.StartsWith("fasttotem-cs", StringComparison.Ordinal)
                ? Long(p.RootElement, "host_alloc_bytes") + Long(e.RootElement, "host_alloc_bytes")
                : -1;
            row.Loops = row.Variant == "corosync"
                ? "corosync daemons"
                : $"ping tid {Long(p.RootElement, "loop_tid")} cpu {Long(p.RootElement, "loop_cpu")}{(Long(p.RootElement, "loop_pinned") == 1 ? " pinned" : "")}{(busy ? " busy" : "")}; echo tid {Long(e.RootElement, "loop_tid")} cpu {Long(e.RootElement, "loop_cpu")}";
            if (row.Samples == 0)
            {
                row.Error = "no samples";
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            row.Error = $"bad summary: {ex.Message}";
        }
        finally
        {
            foreach (BenchProcess b in members)
            {
                b.Process.WaitForExit(5000);
            }

            lab.Stop(members);
        }
    }

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.GetInt64() : 0;

    private static long Gc(JsonElement e) => Long(e, "gc0") + Long(e, "gc1") + Long(e, "gc2");

    /// <summary>Two corosync daemons (as shipped, SCHED_RR) for the libcpg column; null and a reason when they do not form a ring.</summary>
    private static List<BenchProcess>? StartCorosync(BenchLab lab, out string? error)
    {
        error = null;
        var daemons = new List<BenchProcess>();
        var logs = new List<string>();
        for (int n = 1; n <= 2; n++)
        {
            string conf = BenchConfig.Write(lab, n, 2, corosync: true, schedRr: true);
            string log = Path.Combine(lab.HostDir(n), "corosync.log");
            File.Delete(log);
            logs.Add(log);
            daemons.Add(lab.Start(n, "corosync", "unshare", "-m", "sh", "-c", $"mount -t tmpfs tmpfs /run && exec corosync -f -c {conf}"));
        }

        var members = new Regex(@"Members\[2\]");
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (string log in logs)
        {
            while (true)
            {
                string text = "";
                if (File.Exists(log))
                {
                    using var fs = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                    text = new StreamReader(fs).ReadToEnd();
                }

                Match m = members.Match(text);
                if (m.Success && text.IndexOf("ready to provide service", m.Index, StringComparison.Ordinal) >= 0)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline || daemons.Any(d => d.Process.HasExited))
                {
                    error = $"n/a (corosync ring did not form, see {log})";
                    lab.Stop(daemons, 5000);
                    return null;
                }

                Thread.Sleep(100);
            }
        }

        return daemons;
    }

    private static string Markdown(BenchSettings settings, List<Row> rows)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"### Latency, 2 nodes, {settings.LatencyPingSize} B messages, {settings.Seconds:0.#} s windows after {settings.WarmupSeconds:0.#} s warm-up (median of {settings.Runs} run(s)); {BenchReport.Machine()}\n\n");
        sb.Append("| system | mode | rate/s | p50 us | p99 us | p99.9 us | max us | samples | lost | GCs | host alloc B | loop threads |\n");
        sb.Append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        List<Row> med = Medians(rows);
        foreach (Row r in med)
        {
            sb.Append(r.Error != null
                ? $"| {r.Variant} | {r.Mode} | {r.Rate:0} | {r.Error} | | | | | | | | |\n"
                : string.Create(CultureInfo.InvariantCulture, $"| {r.Variant} | {r.Mode} | {r.Rate:0} | {r.P50:0.0} | {r.P99:0.0} | {r.P999:0.0} | {r.Max:0.0} | {r.Samples} | {r.Lost} | {(r.Gcs < 0 ? "n/a" : r.Gcs)} | {(r.HostAlloc < 0 ? "n/a" : r.HostAlloc)} | {r.Loops} |\n"));
        }

        sb.Append('\n');
        foreach (double rate in settings.LatencyRates)
        {
            foreach (string suffix in new[] { "", "-busy" })
            {
                Row? cs = Find(med, "fasttotem-cs" + suffix, "pingpong", rate);
                Row? c = Find(med, "fasttotem-c" + suffix, "pingpong", rate);
                sb.Append(CultureInfo.InvariantCulture, $"- C API round-trip p99 within 10 % of C# ({(suffix == "" ? "epoll" : "busy-poll")}, {rate:0}/s): ");
                sb.Append(cs == null || c == null ? "n/a\n" : string.Create(CultureInfo.InvariantCulture, $"{c.P99:0} us vs {cs.P99:0} us: {(c.P99 <= cs.P99 * 1.10 ? "met" : "MISSED")}\n"));
            }

            Row? busyCs = Find(med, "fasttotem-cs-busy", "pingpong", rate);
            Row? busyC = Find(med, "fasttotem-c-busy", "pingpong", rate);
            Row? coro = Find(med, "corosync", "pingpong", rate);
            sb.Append(CultureInfo.InvariantCulture, $"- busy-poll p99 <= half of corosync+libcpg's ({rate:0}/s, round trip): ");
            sb.Append(coro == null || (busyCs == null && busyC == null)
                ? "n/a\n"
                : string.Create(CultureInfo.InvariantCulture, $"C# {busyCs?.P99:0} us, C {busyC?.P99:0} us vs {coro.P99 / 2:0} us: {((busyCs?.P99 ?? double.MaxValue) <= coro.P99 / 2 || (busyC?.P99 ?? double.MaxValue) <= coro.P99 / 2 ? "met" : "MISSED")}\n"));
        }

        long gcs = rows.Where(r => r.Error == null && r.Gcs >= 0).Sum(r => r.Gcs);
        bool anyCs = rows.Any(r => r.Error == null && r.Gcs >= 0);
        sb.Append(CultureInfo.InvariantCulture, $"- zero GC during the steady windows of the C# nodes: {(anyCs ? $"{gcs} collections over all C# runs: {(gcs == 0 ? "met" : "MISSED")}" : "n/a")}\n");
        return sb.ToString();
    }

    private static Row? Find(List<Row> med, string variant, string mode, double rate) =>
        med.FirstOrDefault(r => r.Variant == variant && r.Mode == mode && r.Rate == rate && r.Error == null);

    private static List<Row> Medians(List<Row> rows)
    {
        var result = new List<Row>();
        foreach (IGrouping<(string, string, double), Row> g in rows.GroupBy(r => (r.Variant, r.Mode, r.Rate)))
        {
            var ok = g.Where(r => r.Error == null).OrderBy(r => r.P99).ToList();
            result.Add(ok.Count == 0 ? g.First() : ok[ok.Count / 2]);
        }

        return result;
    }

    private static string Json(BenchSettings settings, List<Row> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"{{\"machine\":\"{BenchReport.Machine().Replace("\"", "'", StringComparison.Ordinal)}\",\"seconds\":{settings.Seconds},\"warmup\":{settings.WarmupSeconds},\"size\":{settings.LatencyPingSize},\"rows\":[");
        for (int i = 0; i < rows.Count; i++)
        {
            Row r = rows[i];
            sb.Append(i == 0 ? "\n" : ",\n");
            sb.Append(inv, $"{{\"system\":\"{r.Variant}\",\"mode\":\"{r.Mode}\",\"rate\":{r.Rate},\"run\":{r.Run},\"error\":{(r.Error == null ? "null" : $"\"{r.Error.Replace("\"", "'", StringComparison.Ordinal)}\"")},");
            sb.Append(inv, $"\"p50_us\":{BenchFormat.Json(r.P50)},\"p99_us\":{BenchFormat.Json(r.P99)},\"p999_us\":{BenchFormat.Json(r.P999)},\"max_us\":{BenchFormat.Json(r.Max)},");
            sb.Append(inv, $"\"samples\":{r.Samples},\"lost\":{r.Lost},\"gcs\":{r.Gcs},\"host_alloc_bytes\":{r.HostAlloc},\"loops\":\"{r.Loops}\"}}");
        }

        sb.Append("\n]}\n");
        return sb.ToString();
    }

    private static void Abort(BenchLab lab, PosixSignalContext context)
    {
        context.Cancel = true;
        Console.Error.WriteLine("\nfasttotem bench --latency: interrupted, cleaning up");
        lab.Dispose();
        Environment.Exit(130);
    }

    private sealed class Row(string variant, string mode, double rate, int run)
    {
        public string Variant { get; } = variant;

        public string Mode { get; } = mode;

        public double Rate { get; } = rate;

        public int Run { get; } = run;

        public string Label => $"{Variant} {Mode} @{Rate:0}/s run {Run}";

        public string? Error { get; set; }

        public double P50 { get; set; } = double.NaN;

        public double P99 { get; set; } = double.NaN;

        public double P999 { get; set; } = double.NaN;

        public double Max { get; set; } = double.NaN;

        public long Samples { get; set; }

        public long Lost { get; set; }

        public long Gcs { get; set; } = -1;

        public long HostAlloc { get; set; } = -1;

        public string Loops { get; set; } = "";
    }
}
