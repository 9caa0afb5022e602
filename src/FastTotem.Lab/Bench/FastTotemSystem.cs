using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>
/// N FastTotem nodes, each its own <c>fasttotem bench-node</c> process in its own namespace. "fasttotem-rr" runs
/// them under <c>chrt -r 99</c>, the scheduling corosync is shipped with, to show what that policy alone is worth.
/// "baseline" runs the nodes from another fasttotem binary (<c>--baseline PATH</c>), to compare two builds in one run.
/// "fasttotem-knet" and "fasttotem-knet-aes256" run the same nodes on knet, without crypto and with aes256/sha256.
/// "fasttotem-accel" runs them with the accelerated ring on (a FastTotem-only ring; docs/accelerated-ring.md).
/// "fasttotem-unbounded" runs the nodes without the send queue's time bound (SendLatencyBound 0): the fixed queues of
/// earlier builds, kept as the yardstick the bounded default's throughput is held to.
internal sealed class FastTotemSystem(BenchLab lab, BenchSettings settings, bool schedRr = false, bool? knet = null, string? binary = null,
    bool accelerated = false, bool unbounded = false, bool busyPoll = false) : IBenchSystem
{
    private readonly string _path = binary ?? settings.FastTotemPath;
    private int _group;

    public string Name => binary != null ? "baseline" : accelerated ? "fasttotem-accel" : unbounded ? "fasttotem-unbounded" : busyPoll ? "fasttotem-busy"
        : (schedRr ? "fasttotem-rr" : "fasttotem") + knet switch { null => "", false => "-knet", true => "-knet-aes256" };

    public string? Unavailable => schedRr && !lab.UsesNamespaces ? "n/a (needs root)" : null;

    public bool Supports(BenchScenario scenario) => true;

    public BenchResult Run(BenchScenario scenario)
    {
        string group = $"ftb{Environment.ProcessId}x{++_group}";
        var members = new List<BenchProcess>();
        var pids = new List<int>();
        var inv = CultureInfo.InvariantCulture;
        for (int n = 1; n <= settings.Nodes; n++)
        {
            string conf = BenchConfig.Write(lab, n, settings.Nodes, corosync: false, schedRr: false, settings, knet, accelerated);
            bool send = scenario.AllSenders || n == 1;
            var args = new List<string>();
            if (schedRr)
            {
                args.AddRange(new[] { "-r", "99", _path });
            }

            args.AddRange(new[]
            {
                "bench-node", "--config", conf, "--nodeid", n.ToString(inv), "--group", group,
                "--size", scenario.Size.ToString(inv), "--send", send ? "1" : "0",
                "--rate", scenario.Rate.ToString(inv), "--members", settings.Nodes.ToString(inv),
                "--warmup", settings.WarmupSeconds.ToString(inv), "--seconds", settings.Seconds.ToString(inv),
                "--delivery", settings.Delivery,
            });
            if (unbounded)
            {
                args.AddRange(new[] { "--send-bound-ms", "0" });
            }

            if (busyPoll && n == 1)
            {
                args.AddRange(new[] { "--busy-poll-cpu", (Environment.ProcessorCount - 1).ToString(inv) });
            }

            string exe = schedRr ? "chrt" : _path;
            if (busyPoll && n > 1 && Environment.ProcessorCount > 1)
            {
                // The sender's loop spins on the last CPU: keep the other nodes off it, or each of their wake-ups
                // waits behind the spinner for a scheduler slice (milliseconds) instead of running at once.
                args.InsertRange(0, new[] { "-c", $"0-{Environment.ProcessorCount - 2}", exe });
                exe = "taskset";
            }

            BenchProcess p = lab.Start(n, "bench-node", exe, args.ToArray());
            members.Add(p);
            pids.Add(p.Pid);
        }

        return MemberRun.Measure(lab, settings, scenario, members, pids, settings.Nodes);
    }

    public void Dispose()
    {
    }
}
