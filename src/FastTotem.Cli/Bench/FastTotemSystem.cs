using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>N FastTotem nodes, each its own <c>fasttotem bench-node</c> process in its own namespace.</summary>
internal sealed class FastTotemSystem(BenchLab lab, BenchSettings settings) : IBenchSystem
{
    private int _group;

    public string Name => "fasttotem";

    public string? Unavailable => null;

    public bool Supports(BenchScenario scenario) => true;

    public BenchResult Run(BenchScenario scenario)
    {
        string group = $"ftb{Environment.ProcessId}x{++_group}";
        var members = new List<BenchProcess>();
        var pids = new List<int>();
        var inv = CultureInfo.InvariantCulture;
        for (int n = 1; n <= settings.Nodes; n++)
        {
            string conf = BenchConfig.Write(lab, n, settings.Nodes, corosync: false, schedRr: false);
            bool send = scenario.AllSenders || n == 1;
            BenchProcess p = lab.Start(n, "bench-node", settings.FastTotemPath, "bench-node",
                "--config", conf, "--nodeid", n.ToString(inv), "--group", group,
                "--size", scenario.Size.ToString(inv), "--send", send ? "1" : "0",
                "--rate", scenario.Rate.ToString(inv), "--members", settings.Nodes.ToString(inv),
                "--warmup", settings.WarmupSeconds.ToString(inv), "--seconds", settings.Seconds.ToString(inv),
                "--delivery", settings.Delivery);
            members.Add(p);
            pids.Add(p.Pid);
        }

        return MemberRun.Measure(lab, settings, scenario, members, pids, settings.Nodes);
    }

    public void Dispose()
    {
    }
}
