using System.Globalization;
using System.Text.RegularExpressions;
using FastTotem.Transport;

namespace FastTotem.Cli.Bench;

/// <summary>
/// The corosync 3.1.7 daemons of a bench ring, one on each of some of the lab's hosts, each in its own mount
/// namespace (a private tmpfs /run for the pid file, its own state_dir), kept up across scenarios. Also watches
/// them over a measured window: their CPU, their retransmitted mcasts (<c>corosync-cmapctl -m stats</c>, run in
/// the daemon's network namespace, where libqb's IPC sockets live) and the memberships their logs report.
/// </summary>
internal sealed class CorosyncDaemons(BenchLab lab, BenchSettings settings, string logName, bool schedRr, bool? knet, IReadOnlyList<int> hosts) : IDisposable
{
    private static readonly Regex NewMembership = new(@"A new membership \([0-9a-f.]+\) was formed", RegexOptions.Compiled);
    private static readonly Regex StatValue = new(@"=\s*(\d+)", RegexOptions.Compiled);

    private readonly List<BenchProcess> _daemons = new();
    private readonly List<string> _logs = new();
    private long[] _cpuBegin = [];
    private long[] _retxBegin = [];
    private long[] _logBegin = [];
    private long _windowBeginNs;

    /// <summary>The hosts (1-based node numbers) with a daemon.</summary>
    public IReadOnlyList<int> Hosts => hosts;

    public IReadOnlyList<BenchProcess> Processes => _daemons;

    public bool Running => _daemons.Count > 0;

    /// <summary>
    /// Starts a daemon on every host and waits until each logged a membership of <paramref name="ringSize"/> members
    /// and finished a synchronisation after it. Returns null, or why the ring did not form.
    /// </summary>
    public string? Start(int ringSize)
    {
        foreach (int n in hosts)
        {
            string conf = BenchConfig.Write(lab, n, settings.Nodes, corosync: true, schedRr: schedRr, settings, knet);
            string log = Path.Combine(lab.HostDir(n), "corosync.log");
            File.Delete(log);
            _logs.Add(log);
            _daemons.Add(lab.Start(n, logName, "unshare", "-m", "sh", "-c", $"mount -t tmpfs tmpfs /run && exec corosync -f -c {conf}"));
        }

        var members = new Regex($@"Members\[{ringSize}\]");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (string log in _logs)
        {
            while (true)
            {
                string text = File.Exists(log) ? ReadShared(log, 0) : "";
                Match m = members.Match(text);
                if (m.Success && text.IndexOf("ready to provide service", m.Index, StringComparison.Ordinal) >= 0)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline || _daemons.Any(d => d.Process.HasExited))
                {
                    return $"n/a (corosync ring did not form, see {log})";
                }

                Thread.Sleep(100);
            }
        }

        return null;
    }

    /// <summary>Null while every daemon runs; else which one exited.</summary>
    public string? Exited()
    {
        BenchProcess? gone = _daemons.FirstOrDefault(d => d.Process.HasExited);
        return gone == null ? null : $"a corosync daemon exited (see {gone.LogFile})";
    }

    /// <summary>The window starts: CPU, retransmit counters and log lengths now.</summary>
    public void BeginWindow()
    {
        _windowBeginNs = MonotonicClock.NowNs();
        _cpuBegin = _daemons.Select(d => ProcStat.CpuNs(d.Pid)).ToArray();
        _logBegin = _logs.Select(l => File.Exists(l) ? new FileInfo(l).Length : 0).ToArray();
        _retxBegin = Retransmits();
    }

    /// <summary>The window ends: what the daemons did since <see cref="BeginWindow"/>.</summary>
    public DaemonWindow EndWindow()
    {
        long windowNs = MonotonicClock.NowNs() - _windowBeginNs;
        long[] cpu = _daemons.Select(d => ProcStat.CpuNs(d.Pid)).ToArray();
        long[] retx = Retransmits();
        var receiving = new List<double>();
        long retransmits = 0;
        int memberships = 0;
        for (int i = 0; i < _daemons.Count; i++)
        {
            // Host 1 is where the one sender of a one-sender scenario runs: its daemon's CPU is not a receiver's.
            if (hosts[i] != 1 && cpu[i] >= 0 && _cpuBegin[i] >= 0)
            {
                receiving.Add((cpu[i] - _cpuBegin[i]) / (double)windowNs * 100);
            }

            retransmits = retransmits < 0 || retx[i] < 0 || _retxBegin[i] < 0 ? -1 : retransmits + retx[i] - _retxBegin[i];
            string slice = File.Exists(_logs[i]) ? ReadShared(_logs[i], _logBegin[i]) : "";
            memberships = Math.Max(memberships, NewMembership.Count(slice));
        }

        return new DaemonWindow(
            receiving.Count == 0 ? double.NaN : receiving.Average(),
            receiving.Count == 0 ? double.NaN : receiving.Max(),
            retransmits,
            memberships);
    }

    /// <summary>Each daemon's stats.srp.mcast_retx (mcasts it sent again on a token's retransmit request), -1 where unreadable.</summary>
    private long[] Retransmits()
    {
        var tasks = hosts.Select(n => Task.Run(() =>
        {
            (int code, string output, _) = Shell.TryRun("ip", "netns", "exec", lab.Namespace(n), "corosync-cmapctl", "-m", "stats", "stats.srp.mcast_retx");
            Match m = StatValue.Match(output);
            return code == 0 && m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        })).ToArray();
        Task.WaitAll(tasks);
        return tasks.Select(t => t.Result).ToArray();
    }

    private static string ReadShared(string path, long from)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        fs.Seek(Math.Min(from, fs.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(fs);
        return reader.ReadToEnd();
    }

    public void Dispose()
    {
        lab.Stop(_daemons, 5000);
        _daemons.Clear();
        _logs.Clear();
    }
}
