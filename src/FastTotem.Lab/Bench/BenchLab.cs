using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FastTotem.Cli.Bench;

/// <summary>
/// The bench's network: as root, namespaces <c>ftb&lt;k&gt;n&lt;N&gt;</c> with a veth each on a bridge in
/// <c>ftb&lt;k&gt;sw</c>, addresses 10.214.k.N/24 (k from our pid; the interop tests use 10.213.*). Without root,
/// hosts are loopback addresses 127.0.k.N in this namespace. Every process is started here and tracked by PID;
/// <see cref="Dispose"/> (also on Ctrl-C and on process exit) kills exactly those PIDs and deletes exactly those
/// namespaces.
/// </summary>
internal sealed class BenchLab : IDisposable
{
    private readonly List<string> _namespaces = new();
    private readonly List<BenchProcess> _processes = new();
    private readonly int _subnet;
    private int _disposed;

    public BenchLab(int hosts, bool useNamespaces)
    {
        _subnet = Environment.ProcessId % 200 + 20;
        UsesNamespaces = useNamespaces;
        Root = Path.Combine(Path.GetTempPath(), $"fasttotem-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(Root);
        if (!useNamespaces)
        {
            return;
        }

        string sw = $"ftb{_subnet}sw";
        Shell.Run("ip", "netns", "add", sw);
        _namespaces.Add(sw);
        Shell.Run("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
        Shell.Run("ip", "-n", sw, "link", "set", "br0", "up");
        for (int n = 1; n <= hosts; n++)
        {
            string ns = Namespace(n);
            Shell.Run("ip", "netns", "add", ns);
            _namespaces.Add(ns);
            Shell.Run("ip", "link", "add", $"ftb{_subnet}v{n}", "netns", ns, "type", "veth", "peer", "name", $"p{n}", "netns", sw);
            Shell.Run("ip", "-n", sw, "link", "set", $"p{n}", "master", "br0", "up");
            Shell.Run("ip", "-n", ns, "link", "set", $"ftb{_subnet}v{n}", "name", "eth0");
            Shell.Run("ip", "-n", ns, "addr", "add", $"{Address(n)}/24", "dev", "eth0");
            Shell.Run("ip", "-n", ns, "link", "set", "eth0", "up");
            Shell.Run("ip", "-n", ns, "link", "set", "lo", "up");
        }
    }

    /// <summary>Keep <see cref="Root"/> on dispose (set when something failed, so its logs can be read).</summary>
    public bool KeepFiles { get; set; } = true;

    /// <summary>Namespaces (root) or loopback addresses (not root).</summary>
    public bool UsesNamespaces { get; }

    /// <summary>Configs, logs and state dirs of this run.</summary>
    public string Root { get; }

    public string Namespace(int n) => $"ftb{_subnet}n{n}";

    public string Address(int n) => UsesNamespaces ? $"10.214.{_subnet}.{n}" : $"127.0.{_subnet}.{n}";

    public string HostDir(int n)
    {
        string dir = Path.Combine(Root, $"node{n}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Starts <paramref name="program"/> in host <paramref name="n"/>'s namespace (or here, without namespaces).</summary>
    public BenchProcess Start(int n, string logName, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(UsesNamespaces ? "ip" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (UsesNamespaces)
        {
            // ip netns exec execs the program, so the PID we track is the program's own.
            psi.ArgumentList.Add("netns");
            psi.ArgumentList.Add("exec");
            psi.ArgumentList.Add(Namespace(n));
            psi.ArgumentList.Add(program);
        }

        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        lock (_processes)
        {
            if (_disposed != 0)
            {
                throw new OperationCanceledException("the bench is stopping");
            }

            Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
            var bp = new BenchProcess(p, Path.Combine(HostDir(n), $"{logName}-{p.Id}.log"));
            _processes.Add(bp);
            return bp;
        }
    }

    /// <summary>Stops processes this lab started: SIGTERM, then SIGKILL after <paramref name="graceMs"/>.</summary>
    public void Stop(IEnumerable<BenchProcess> processes, int graceMs = 3000)
    {
        var list = processes.ToList();
        foreach (BenchProcess p in list)
        {
            Signal(p, 15);
        }

        foreach (BenchProcess p in list)
        {
            if (!p.Process.WaitForExit(graceMs))
            {
                Signal(p, 9);
                p.Process.WaitForExit(2000);
            }

            lock (_processes)
            {
                _processes.Remove(p);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<BenchProcess> left;
        lock (_processes)
        {
            left = new List<BenchProcess>(_processes);
        }

        foreach (BenchProcess p in left)
        {
            Signal(p, 15);
        }

        foreach (BenchProcess p in left)
        {
            if (!p.Process.WaitForExit(3000))
            {
                Signal(p, 9);
                p.Process.WaitForExit(2000);
            }
        }

        for (int i = _namespaces.Count - 1; i >= 0; i--)
        {
            Shell.TryRun("ip", "netns", "del", _namespaces[i]);
        }

        if (!KeepFiles)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // a daemon's file still open: leave the directory, it is only logs
            }
        }
    }

    public static bool IsRoot() => geteuid() == 0;

    private static void Signal(BenchProcess p, int signal)
    {
        if (!p.Process.HasExited)
        {
            kill(p.Pid, signal);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
}
