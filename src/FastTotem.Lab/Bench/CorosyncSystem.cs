using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>
/// N real corosync 3.1.7 daemons (<see cref="CorosyncDaemons"/>: each in its namespace and its own mount namespace,
/// kept up across scenarios); per scenario one native/cpgprobe per node in the same network namespace (libqb's IPC
/// sockets are per network namespace). <see cref="Name"/> "corosync" runs them as shipped (SCHED_RR 99),
/// "corosync-norr" with <c>system { sched_rr: no }</c>; "corosync-knet" and "corosync-knet-aes256" as shipped on
/// knet, without crypto and with aes256/sha256.
/// </summary>
internal sealed class CorosyncSystem : IBenchSystem
{
    private readonly BenchLab _lab;
    private readonly BenchSettings _settings;
    private readonly CorosyncDaemons _daemons;
    private int _group;
    private string? _startError;

    public CorosyncSystem(BenchLab lab, BenchSettings settings, bool schedRr, bool? knet = null)
    {
        _lab = lab;
        _settings = settings;
        Name = (schedRr ? "corosync" : "corosync-norr") + knet switch { null => "", false => "-knet", true => "-knet-aes256" };
        _daemons = new CorosyncDaemons(lab, settings, Name, schedRr, knet, Enumerable.Range(1, settings.Nodes).ToList());
    }

    public string Name { get; }

    public string? Unavailable => Unavailability(_lab, _settings) ?? _startError;

    public bool Supports(BenchScenario scenario) => true;

    /// <summary>Why corosync daemons with cpgprobe cannot run here, or null.</summary>
    public static string? Unavailability(BenchLab lab, BenchSettings settings) =>
        !lab.UsesNamespaces ? "n/a (needs root)"
        : !File.Exists("/usr/sbin/corosync") ? "n/a (corosync not installed)"
        : !File.Exists(settings.CpgProbePath) ? $"n/a ({settings.CpgProbePath} missing: ./build.sh native)"
        : null;

    public BenchResult Run(BenchScenario scenario)
    {
        if (!_daemons.Running && (_startError = _daemons.Start(_settings.Nodes)) != null)
        {
            return MemberRun.Failed(scenario, _startError);
        }

        if (_daemons.Exited() is string exited)
        {
            return MemberRun.Failed(scenario, exited);
        }

        string group = $"ftb{Environment.ProcessId}c{++_group}";
        var members = new List<BenchProcess>();
        var pids = _daemons.Processes.Select(d => d.Pid).ToList();
        for (int n = 1; n <= _settings.Nodes; n++)
        {
            BenchProcess p = StartProbe(_lab, _settings, n, group, scenario, send: scenario.AllSenders || n == 1);
            members.Add(p);
            pids.Add(p.Pid);
        }

        return MemberRun.Measure(_lab, _settings, scenario, members, pids, _settings.Nodes, _daemons);
    }

    /// <summary>native/cpgprobe -G on host <paramref name="n"/>: a libcpg member of <paramref name="group"/>, sending with <paramref name="send"/>.</summary>
    public static BenchProcess StartProbe(BenchLab lab, BenchSettings settings, int n, string group, BenchScenario scenario, bool send)
    {
        var inv = CultureInfo.InvariantCulture;
        var args = new List<string>
        {
            "-G", "-g", group, "-s", scenario.Size.ToString(inv), "-m", settings.Nodes.ToString(inv),
            "-r", scenario.Rate.ToString(inv), "-w", settings.WarmupSeconds.ToString(inv),
            "-t", settings.Seconds.ToString(inv),
        };
        if (send)
        {
            args.Add("-F");
        }

        return lab.Start(n, "cpgprobe", settings.CpgProbePath, args.ToArray());
    }

    public void Dispose() => _daemons.Dispose();
}
