using System.Globalization;
using System.Text.RegularExpressions;

namespace FastTotem.Cli.Bench;

/// <summary>
/// N real corosync 3.1.7 daemons, each in its namespace and its own mount namespace (private tmpfs /run for the
/// pid file, its own state_dir), kept up across scenarios; per scenario one native/cpgprobe per node in the same
/// network namespace (libqb's IPC sockets are per network namespace). <see cref="Name"/> "corosync" runs them as
/// shipped (SCHED_RR 99), "corosync-norr" with <c>system { sched_rr: no }</c>; "corosync-knet" and
/// "corosync-knet-aes256" as shipped on knet, without crypto and with aes256/sha256.
/// </summary>
internal sealed class CorosyncSystem(BenchLab lab, BenchSettings settings, bool schedRr, bool? knet = null) : IBenchSystem
{
    private readonly List<BenchProcess> _daemons = new();
    private int _group;
    private string? _startError;

    public string Name => (schedRr ? "corosync" : "corosync-norr") + knet switch { null => "", false => "-knet", true => "-knet-aes256" };

    public string? Unavailable =>
        !lab.UsesNamespaces ? "n/a (needs root)"
        : !File.Exists("/usr/sbin/corosync") ? "n/a (corosync not installed)"
        : !File.Exists(settings.CpgProbePath) ? $"n/a ({settings.CpgProbePath} missing: ./build.sh native)"
        : _startError;

    public bool Supports(BenchScenario scenario) => true;

    public BenchResult Run(BenchScenario scenario)
    {
        if (_daemons.Count == 0 && !StartDaemons())
        {
            return MemberRun.Failed(scenario, _startError ?? "corosync did not start");
        }

        foreach (BenchProcess d in _daemons)
        {
            if (d.Process.HasExited)
            {
                return MemberRun.Failed(scenario, $"a corosync daemon exited (see {d.LogFile})");
            }
        }

        var inv = CultureInfo.InvariantCulture;
        string group = $"ftb{Environment.ProcessId}c{++_group}";
        var members = new List<BenchProcess>();
        var pids = _daemons.Select(d => d.Pid).ToList();
        for (int n = 1; n <= settings.Nodes; n++)
        {
            bool send = scenario.AllSenders || n == 1;
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

            BenchProcess p = lab.Start(n, "cpgprobe", settings.CpgProbePath, args.ToArray());
            members.Add(p);
            pids.Add(p.Pid);
        }

        return MemberRun.Measure(lab, settings, scenario, members, pids, settings.Nodes);
    }

    private bool StartDaemons()
    {
        var logs = new List<string>();
        for (int n = 1; n <= settings.Nodes; n++)
        {
            string conf = BenchConfig.Write(lab, n, settings.Nodes, corosync: true, schedRr: schedRr, settings, knet);
            string log = Path.Combine(lab.HostDir(n), "corosync.log");
            File.Delete(log);
            logs.Add(log);
            _daemons.Add(lab.Start(n, Name, "unshare", "-m", "sh", "-c", $"mount -t tmpfs tmpfs /run && exec corosync -f -c {conf}"));
        }

        // The ring is up when every daemon logged the full membership and finished a sync after it.
        var members = new Regex($@"Members\[{settings.Nodes}\]");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (string log in logs)
        {
            while (true)
            {
                string text = File.Exists(log) ? ReadShared(log) : "";
                Match m = members.Match(text);
                if (m.Success && text.IndexOf("ready to provide service", m.Index, StringComparison.Ordinal) >= 0)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline || _daemons.Any(d => d.Process.HasExited))
                {
                    _startError = $"n/a (corosync ring did not form, see {log})";
                    return false;
                }

                Thread.Sleep(100);
            }
        }

        return true;
    }

    private static string ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        return reader.ReadToEnd();
    }

    public void Dispose()
    {
        lab.Stop(_daemons, 5000);
        _daemons.Clear();
    }
}
