using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>
/// "mixed": one ring of FastTotem and corosync. Host 1 is a FastTotem <c>bench-node</c> (as <see cref="FastTotemSystem"/>
/// starts it, one process per scenario); hosts 2..N run corosync 3.1.7 daemons as shipped (<see cref="CorosyncDaemons"/>,
/// kept up across scenarios) with a native/cpgprobe receiving on each, in the same CPG group and with the same probe
/// message header. Both sides read the same totem section (<see cref="BenchConfig.Write"/>). Only the FastTotem node
/// sends: the question is whether a FastTotem flood leaves corosync members undisturbed (no loss, no reordering, no
/// membership change, no retransmit storm) and how its throughput compares with a corosync-only ring's.
/// </summary>
internal sealed class MixedSystem : IBenchSystem
{
    private readonly BenchLab _lab;
    private readonly BenchSettings _settings;
    private readonly CorosyncDaemons _daemons;
    private int _group;
    private string? _startError;

    public MixedSystem(BenchLab lab, BenchSettings settings)
    {
        _lab = lab;
        _settings = settings;
        _daemons = new CorosyncDaemons(lab, settings, "mixed-corosync", schedRr: true, knet: null, Enumerable.Range(2, settings.Nodes - 1).ToList());
    }

    public string Name => "mixed";

    public string? Unavailable => CorosyncSystem.Unavailability(_lab, _settings) ?? _startError;

    /// <summary>One sender, FastTotem's: flood at every size and the fixed rate.</summary>
    public bool Supports(BenchScenario scenario) => !scenario.AllSenders;

    public BenchResult Run(BenchScenario scenario)
    {
        // The daemons form their ring of N - 1 first; each scenario's FastTotem node then joins it.
        if (!_daemons.Running && (_startError = _daemons.Start(_settings.Nodes - 1)) != null)
        {
            return MemberRun.Failed(scenario, _startError);
        }

        if (_daemons.Exited() is string exited)
        {
            return MemberRun.Failed(scenario, exited);
        }

        var inv = CultureInfo.InvariantCulture;
        string group = $"ftb{Environment.ProcessId}m{++_group}";
        string conf = BenchConfig.Write(_lab, 1, _settings.Nodes, corosync: false, schedRr: false, _settings);
        BenchProcess node = _lab.Start(1, "bench-node", _settings.FastTotemPath,
            "bench-node", "--config", conf, "--nodeid", "1", "--group", group,
            "--size", scenario.Size.ToString(inv), "--send", "1",
            "--rate", scenario.Rate.ToString(inv), "--members", _settings.Nodes.ToString(inv),
            "--warmup", _settings.WarmupSeconds.ToString(inv), "--seconds", _settings.Seconds.ToString(inv),
            "--delivery", _settings.Delivery);
        var members = new List<BenchProcess> { node };
        var pids = new List<int> { node.Pid };
        pids.AddRange(_daemons.Processes.Select(d => d.Pid));
        foreach (int n in _daemons.Hosts)
        {
            BenchProcess p = CorosyncSystem.StartProbe(_lab, _settings, n, group, scenario, send: false);
            members.Add(p);
            pids.Add(p.Pid);
        }

        return MemberRun.Measure(_lab, _settings, scenario, members, pids, _settings.Nodes, _daemons);
    }

    public void Dispose() => _daemons.Dispose();
}
