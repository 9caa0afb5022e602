using System.Globalization;
using System.Runtime.InteropServices;

namespace FastTotem.Cli.Bench;

/// <summary>
/// <c>fasttotem bench</c>: the macro benchmark. N FastTotem node processes in network namespaces (loopback
/// without root) against a ring of real corosync daemons driven by native/cpgprobe and against raw UDP, every
/// scenario as <see cref="IBenchMode"/>s plan it; prints a table, and with <c>--json</c>/<c>--results</c> writes
/// JSON, markdown and an SVG chart.
/// </summary>
internal static class BenchCommand
{
    public const string Usage = """
        usage: fasttotem bench [--nodes N] [--sizes 64,1024,8192,65536] [--senders one,all]
                               [--systems fasttotem,fasttotem-rr,fasttotem-unbounded,fasttotem-accel,fasttotem-busy,corosync,corosync-norr,mixed,udp,wire] [--runs R] [--warmup S] [--seconds S]
                               [--rate-latency MSGS_PER_S|0] [--delivery callback|queue] [--json FILE] [--results DIR] [--compare]
                               [--latency [--latency-rates 1000,10000] [--latency-size 64]] [--window-size N] [--max-messages M] [--netmtu B]
                               [--baseline PATH] [--interleave]
          --latency   2 nodes, ping-pong and one-way at fixed rates: C# API, C API (native/ftlatency), busy-poll, corosync+libcpg
          --compare   every system, 3 interleaved runs, results into bench/results (what ./build.sh bench-compare runs)
          fasttotem-rr = FastTotem nodes under chrt -r 99 (corosync's shipped scheduling), latency scenario only
          fasttotem-accel = FastTotem nodes with the accelerated ring on (docs/accelerated-ring.md)
          fasttotem-unbounded = FastTotem nodes without the send queue's time bound (the 4 MiB queues of earlier builds)
          fasttotem-busy = the sender's loop busy-polls, pinned to the last CPU (fixed-rate latency scenario only)
          mixed = FastTotem on host 1 sending to corosync daemons receiving with cpgprobe on hosts 2..N (one sender; compared with corosync)
          wire = the ring's ceiling: full frames by sendmmsg to N-1 peers, as msgs/s with corosync's packing
          --keep      keep the run's directory (configs, logs) even when every scenario succeeded
          --window-size, --max-messages, --netmtu   totem options for every node of FastTotem and corosync alike (default 50, 17, 1500)
          --baseline  another fasttotem binary (e.g. an older build) as the extra system "baseline"; the report adds
                      this build's ratios to it (msgs/s per size and sender mode, p99 at the fixed rate, B/msg)
          --interleave  run by run, every system on one scenario back to back (which goes first alternates), so a
                      noisy machine's drift hits the systems alike
        """;

    public static int Run(string[] args)
    {
        var settings = new BenchSettings();
        if (!Parse(args, settings, out string? error))
        {
            Console.Error.WriteLine($"fasttotem bench: {error}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (settings.Latency)
        {
            return LatencyBench.Run(settings);
        }

        bool root = BenchLab.IsRoot();
        var modes = new List<IBenchMode> { new ThroughputMode(), new RateLatencyMode() };
        using var lab = new BenchLab(Math.Max(settings.Nodes, 2), root);
        // Every exit path cleans up: normal return (using), Ctrl-C / SIGTERM (dispose, then exit), process exit.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Abort(lab, c));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Abort(lab, c));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => lab.Dispose();
        if (!root)
        {
            Console.Error.WriteLine("fasttotem bench: not root: FastTotem nodes on loopback addresses, corosync and raw UDP n/a");
        }

        var systems = new Dictionary<string, IBenchSystem>();
        var results = new List<BenchResult>();
        try
        {
            var plan = modes.SelectMany(m => m.Plan(settings)).ToList();
            // One system at a time: corosync's daemons stay up for all its scenarios, then go before the next system.
            plan = plan.OrderBy(s => settings.Systems.IndexOf(s.System)).ToList();
            if (settings.Interleave)
            {
                plan = plan.OrderBy(s => s.Run).ThenBy(s => s.Rate).ThenBy(s => s.Size).ThenBy(s => s.AllSenders)
                    .ThenBy(s => s.Run % 2 == 1 ? settings.Systems.IndexOf(s.System) : -settings.Systems.IndexOf(s.System)).ToList();
            }

            string? current = null;
            for (int i = 0; i < plan.Count; i++)
            {
                BenchScenario scenario = plan[i];
                if (current != null && current != scenario.System && systems.Remove(current, out IBenchSystem? done))
                {
                    done.Dispose();
                }

                current = scenario.System;
                if (!systems.TryGetValue(scenario.System, out IBenchSystem? system))
                {
                    system = Create(scenario.System, lab, settings);
                    systems[scenario.System] = system;
                }

                if (!system.Supports(scenario))
                {
                    continue;
                }

                Progress($"[{i + 1}/{plan.Count}] {scenario} ...");
                BenchResult result = system.Unavailable is string why ? MemberRun.Failed(scenario, why) : system.Run(scenario);
                results.Add(result);
                Progress($"[{i + 1}/{plan.Count}] {scenario}: {(result.Error ?? $"{BenchFormat.Count(result.MsgsPerSec)} msgs/s, p99 {BenchFormat.Fixed(result.P99Ms, 2)} ms, cpu {BenchFormat.Fixed(result.CpuPercentPerNode, 0)} %/node")}");
                Console.Error.WriteLine();
            }
        }
        finally
        {
            foreach (IBenchSystem s in systems.Values)
            {
                s.Dispose();
            }
        }

        bool failed = results.Any(r => r.Error != null && !r.Error.StartsWith("n/a", StringComparison.Ordinal));
        lab.KeepFiles = settings.Keep || failed;
        Console.WriteLine(BenchReport.Text(results));
        if (settings.BaselinePath != null)
        {
            Console.WriteLine(BenchReport.Baseline(settings, results));
        }

        if (settings.Systems.Contains("mixed"))
        {
            Console.WriteLine(ThroughputMode.Mixed(settings, results));
        }

        string date = DateTime.UtcNow.ToString("yyyy-MM-dd-HHmm", CultureInfo.InvariantCulture);
        if (settings.JsonPath != null)
        {
            // Its folder is made here: a missing one used to throw the whole run away at its end.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.JsonPath))!);
            File.WriteAllText(settings.JsonPath, BenchReport.Json(settings, results, date));
        }

        if (settings.ResultsDir != null)
        {
            Directory.CreateDirectory(settings.ResultsDir);
            string md = BenchReport.Markdown(settings, modes, results, date, "latest.svg");
            File.WriteAllText(Path.Combine(settings.ResultsDir, $"{date}.md"), md.Replace("(latest.svg)", $"({date}.svg)"));
            File.WriteAllText(Path.Combine(settings.ResultsDir, "latest.md"), md);
            string svg = BenchChart.Svg(settings, BenchMedian.Of(results), $"{date}, {BenchReport.Machine()}");
            File.WriteAllText(Path.Combine(settings.ResultsDir, "latest.svg"), svg);
            File.WriteAllText(Path.Combine(settings.ResultsDir, $"{date}.svg"), svg);
            File.WriteAllText(Path.Combine(settings.ResultsDir, "latest.json"), BenchReport.Json(settings, results, date));
            Console.WriteLine(md);
            Console.Error.WriteLine($"fasttotem bench: wrote {settings.ResultsDir}/{date}.md, latest.md, latest.svg, latest.json");
        }

        return failed ? 1 : 0;
    }

    private static IBenchSystem Create(string name, BenchLab lab, BenchSettings settings) => name switch
    {
        "fasttotem" => new FastTotemSystem(lab, settings),
        "fasttotem-rr" => new FastTotemSystem(lab, settings, schedRr: true),
        "fasttotem-accel" => new FastTotemSystem(lab, settings, accelerated: true),
        "fasttotem-unbounded" => new FastTotemSystem(lab, settings, unbounded: true),
        "fasttotem-busy" => new FastTotemSystem(lab, settings, busyPoll: true),
        "corosync" => new CorosyncSystem(lab, settings, schedRr: true),
        "corosync-norr" => new CorosyncSystem(lab, settings, schedRr: false),
        "mixed" => new MixedSystem(lab, settings),
        "fasttotem-knet" => new FastTotemSystem(lab, settings, knet: false),
        "fasttotem-knet-aes256" => new FastTotemSystem(lab, settings, knet: true),
        "corosync-knet" => new CorosyncSystem(lab, settings, schedRr: true, knet: false),
        "corosync-knet-aes256" => new CorosyncSystem(lab, settings, schedRr: true, knet: true),
        "udp" => new RawUdpSystem(lab, settings),
        "wire" => new WireBoundSystem(lab, settings),
        "baseline" => new FastTotemSystem(lab, settings, binary: settings.BaselinePath),
        _ => throw new ArgumentException($"unknown system {name}"),
    };

    private static void Abort(BenchLab lab, PosixSignalContext context)
    {
        context.Cancel = true;
        Console.Error.WriteLine();
        Console.Error.WriteLine("fasttotem bench: interrupted, cleaning up");
        lab.Dispose();
        Environment.Exit(130);
    }

    /// <summary>
    /// On a terminal, one line rewritten in place; piped, only the finished scenarios' lines (the caller ends them),
    /// no carriage returns and no "..." lines.
    /// </summary>
    private static void Progress(string line)
    {
        s_progress ??= FastTotem.Capture.TerminalProgress.OnTerminal("");
        if (s_progress == null)
        {
            if (!line.EndsWith(" ...", StringComparison.Ordinal))
            {
                Console.Error.Write(line);
            }

            return;
        }

        s_progress.Show(line, force: true);
    }

    private static FastTotem.Capture.TerminalProgress? s_progress;

    private static bool Parse(string[] args, BenchSettings s, out string? error)
    {
        var inv = CultureInfo.InvariantCulture;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            bool takes = a != "--compare" && a != "--latency" && a != "--keep" && a != "--interleave";
            if (takes && v == null)
            {
                error = $"{a} needs a value";
                return false;
            }

            try
            {
                switch (a)
                {
                    case "--nodes": s.Nodes = int.Parse(v!, inv); break;
                    case "--window-size": s.WindowSize = int.Parse(v!, inv); break;
                    case "--max-messages": s.MaxMessages = int.Parse(v!, inv); break;
                    case "--netmtu": s.NetMtu = int.Parse(v!, inv); break;
                    case "--sizes": s.Sizes = v!.Split(',').Select(x => int.Parse(x, inv)).ToList(); break;
                    case "--senders": s.SenderModes = v!.Split(',').Select(x => x == "all" ? true : x == "one" ? false : throw new FormatException(x)).ToList(); break;
                    case "--systems": s.Systems = v!.Split(',').ToList(); break;
                    case "--runs": s.Runs = int.Parse(v!, inv); break;
                    case "--warmup": s.WarmupSeconds = double.Parse(v!, inv); break;
                    case "--seconds": s.Seconds = double.Parse(v!, inv); break;
                    case "--rate-latency": s.LatencyRate = double.Parse(v!, inv); break;
                    case "--delivery": s.Delivery = v == "queue" ? "queue" : v == "callback" ? "callback" : throw new FormatException(v); break;
                    case "--json": s.JsonPath = v; break;
                    case "--results": s.ResultsDir = v; break;
                    case "--cpgprobe": s.CpgProbePath = v!; break;
                    case "--latency": s.Latency = true; break;
                    case "--keep": s.Keep = true; break;
                    case "--interleave": s.Interleave = true; break;
                    case "--baseline": s.BaselinePath = Path.GetFullPath(v!); break;
                    case "--latency-rates": s.LatencyRates = v!.Split(',').Select(x => double.Parse(x, inv)).ToList(); break;
                    case "--latency-size": s.LatencyPingSize = int.Parse(v!, inv); break;
                    case "--compare":
                        s.Systems = new List<string> { "fasttotem", "fasttotem-unbounded", "fasttotem-accel", "fasttotem-rr", "fasttotem-busy", "corosync", "corosync-norr", "mixed", "udp", "wire", "fasttotem-knet", "fasttotem-knet-aes256", "corosync-knet", "corosync-knet-aes256" };
                        s.Runs = Math.Max(s.Runs, 3);
                        s.ResultsDir ??= "bench/results";
                        // The machine drifts over the hour a compare takes (a 1,000 msgs/s p99 moved from 0.45 to 1.7 ms
                        // between two runs of one build 30 minutes apart): every system runs each scenario back to back.
                        s.Interleave = true;
                        break;
                    default:
                        error = $"unknown option {a}";
                        return false;
                }
            }
            catch (FormatException)
            {
                error = $"bad value '{v}' for {a}";
                return false;
            }

            if (takes)
            {
                i++;
            }
        }

        if (s.BaselinePath != null)
        {
            if (!File.Exists(s.BaselinePath))
            {
                error = $"--baseline {s.BaselinePath}: no such file";
                return false;
            }

            if (!s.Systems.Contains("baseline"))
            {
                s.Systems.Add("baseline");
            }
        }

        string[] known = s.BaselinePath != null
            ? ["fasttotem", "fasttotem-rr", "fasttotem-unbounded", "corosync", "corosync-norr", "mixed", "udp", "fasttotem-knet", "fasttotem-knet-aes256", "corosync-knet", "corosync-knet-aes256", "wire", "fasttotem-accel", "fasttotem-busy", "baseline"]
            : ["fasttotem", "fasttotem-rr", "fasttotem-unbounded", "corosync", "corosync-norr", "mixed", "udp", "fasttotem-knet", "fasttotem-knet-aes256", "corosync-knet", "corosync-knet-aes256", "wire", "fasttotem-accel", "fasttotem-busy"];
        if (s.WindowSize is < 1 or > 65535 || s.MaxMessages is < 1 or > 65535 || s.MaxMessages > (s.WindowSize ?? 50) || s.NetMtu is < 576 or > 9000)
        {
            error = "bad --window-size, --max-messages (1..65535, max_messages at most window_size) or --netmtu (576..9000: corosync's udpu frames end at 10,000 bytes)";
            return false;
        }

        if (s.Systems.Any(x => !known.Contains(x)) || s.Nodes < 2 || s.Nodes > 16 || s.Runs < 1 || s.Sizes.Any(z => z < ProbeMessage.HeaderSize || z > 1024 * 1024))
        {
            error = "bad --systems, --nodes (2..16), --runs or --sizes (32 B .. 1 MiB)";
            return false;
        }

        return true;
    }
}
