using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FastTotem.Cli.Bench;

namespace FastTotem.Lab;

/// <summary>
/// A throw-away lab of network namespaces on one bridge, for tests against real corosync daemons.
/// Every namespace is created here and every process is started here and remembered by PID;
/// <see cref="Dispose"/> kills those PIDs and deletes those namespaces, even when a test failed.
/// Addresses (10.213.L.N and fd00:213:L::N) exist only inside the lab's namespaces.
/// </summary>
internal sealed partial class NetLab : IDisposable
{
    private static int _labCounter;

    private readonly string _prefix;
    private readonly int _subnet;
    private readonly NamespaceNetwork _network;
    private readonly List<Process> _processes = new();
    private readonly Dictionary<int, LabNode> _nodes = new();

    public NetLab()
    {
        int n = Interlocked.Increment(ref _labCounter);
        _subnet = (Environment.ProcessId + n) % 200 + 20;
        _prefix = $"ft{_subnet}";
        Root = Path.Combine(Path.GetTempPath(), $"fasttotem-lab-{Environment.ProcessId}-{n}");
        Directory.CreateDirectory(Root);
        _network = new NamespaceNetwork(_prefix + "sw");
    }

    /// <summary>Files of this lab: configs, logs, state dirs.</summary>
    public string Root { get; }

    public string SwitchNamespace => _network.SwitchNamespace;

    public LabNode Node(int n) => _nodes[n];

    /// <summary>Creates host N: a namespace with a veth on the bridge, IPv4 10.213.L.N/24 and IPv6 fd00:213:L::N/64.</summary>
    public LabNode AddHost(int n)
    {
        string ns = $"{_prefix}n{n}";
        _network.AddNamespace(ns);
        _network.Connect(ns, $"v{n}", $"p{n}", "br0", null, $"10.213.{_subnet}.{n}/24", $"fd00:213:{_subnet}::{n}/64");
        Shell.Run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", $"v{n}");
        var node = new LabNode(this, n, ns, $"10.213.{_subnet}.{n}", $"fd00:213:{_subnet}::{n}", Path.Combine(Root, $"node{n}"));
        Directory.CreateDirectory(node.Directory);
        Directory.CreateDirectory(node.StateDir);
        _nodes[n] = node;
        return node;
    }

    /// <summary>A corosync.conf for the lab (the fixture's lab config, with our addresses and paths).</summary>
    public string CorosyncConf(LabNode self, IEnumerable<int> nodelist, string transport = "udpu", int tokenMs = 1000, bool ipv6 = false)
    {
        var sb = new StringBuilder();
        sb.Append("totem {\n\tversion: 2\n\tcluster_name: ftlab\n");
        sb.Append($"\ttransport: {transport}\n\tcrypto_cipher: none\n\tcrypto_hash: none\n\ttoken: {tokenMs}\n");
        if (ipv6)
        {
            sb.Append("\tip_version: ipv6\n");
        }

        if (transport == "udp")
        {
            sb.Append($"\tinterface {{\n\t\tlinknumber: 0\n\t\tbindnetaddr: {(ipv6 ? self.Ipv6 : self.Ipv4)}\n\t\tmcastaddr: {(ipv6 ? "ff15::213" : "239.192.213.1")}\n\t\tmcastport: 5405\n\t}}\n");
        }

        sb.Append("}\n\nlogging {\n\tto_stderr: no\n\tto_syslog: no\n\tto_logfile: yes\n");
        sb.Append($"\tlogfile: {self.LogFile}\n\ttimestamp: hires\n\tdebug: on\n}}\n\n");
        sb.Append("quorum {\n\tprovider: corosync_votequorum\n}\n\n");
        sb.Append($"system {{\n\tstate_dir: {self.StateDir}\n}}\n\nnodelist {{\n");
        foreach (int id in nodelist)
        {
            LabNode other = _nodes[id];
            sb.Append($"\tnode {{\n\t\tnodeid: {id}\n\t\tring0_addr: {(ipv6 ? other.Ipv6 : other.Ipv4)}\n\t}}\n");
        }

        sb.Append("}\n");
        File.WriteAllText(self.ConfigFile, sb.ToString());
        return self.ConfigFile;
    }

    /// <summary>
    /// Starts Debian's corosync in the node's namespace and in its own mount namespace with a
    /// private /run (corosync's lock file is fixed at /var/run/corosync.pid).
    /// </summary>
    public Process StartCorosync(LabNode node)
    {
        Process p = StartInNamespace(node, "unshare", "-m", "sh", "-c",
            $"mount -t tmpfs tmpfs /run && exec corosync -f -c {node.ConfigFile}");
        node.Corosync = p;
        return p;
    }

    /// <summary>Starts <c>fasttotem run</c> in the node's namespace with JSON events in <see cref="LabNode.EventsFile"/>.</summary>
    public Process StartFastTotem(LabNode node, params string[] extraArgs)
    {
        var args = new List<string> { "run", "-c", node.ConfigFile, "--events", node.EventsFile };
        args.AddRange(extraArgs);
        Process p = StartInNamespace(node, Repo.FastTotem, args.ToArray());
        node.FastTotem = p;
        return p;
    }

    /// <summary>
    /// Drops UDP to and from the given lab hosts inside the node's namespace (an nftables table of
    /// our own, removed by <see cref="Heal"/> or with the namespace).
    /// </summary>
    public void Cut(LabNode node, params LabNode[] peers)
    {
        Heal(node);
        Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "table", "inet", "ftcut");
        Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "chain", "inet", "ftcut", "in", "{ type filter hook input priority 0 ; }");
        Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "chain", "inet", "ftcut", "out", "{ type filter hook output priority 0 ; }");
        foreach (LabNode peer in peers)
        {
            foreach (string addr in new[] { peer.Ipv4, peer.Ipv6 })
            {
                string family = addr.Contains(':') ? "ip6" : "ip";
                Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "rule", "inet", "ftcut", "in", family, "saddr", addr, "drop");
                Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "rule", "inet", "ftcut", "out", family, "daddr", addr, "drop");
            }
        }
    }

    /// <summary>Random loss of <paramref name="percent"/> % of UDP in both directions (nftables numgen; no netem here).</summary>
    public void Loss(LabNode node, int percent)
    {
        Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "table", "inet", "ftloss");
        Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "chain", "inet", "ftloss", "in", "{ type filter hook input priority 0 ; }");
        Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "chain", "inet", "ftloss", "out", "{ type filter hook output priority 0 ; }");
        foreach (string chain in new[] { "in", "out" })
        {
            Shell.Run("ip", "netns", "exec", node.Namespace, "nft", "add", "rule", "inet", "ftloss", chain, "meta", "l4proto", "udp", "numgen", "random", "mod", "100", "<", percent.ToString(System.Globalization.CultureInfo.InvariantCulture), "drop");
        }
    }

    /// <summary>Removes the rules <see cref="Cut"/> and <see cref="Loss"/> added.</summary>
    public void Heal(LabNode node)
    {
        Shell.TryRun("ip", "netns", "exec", node.Namespace, "nft", "delete", "table", "inet", "ftcut");
        Shell.TryRun("ip", "netns", "exec", node.Namespace, "nft", "delete", "table", "inet", "ftloss");
    }

    /// <summary>Output file of a process started with <see cref="StartInNamespace"/>.</summary>
    public static string OutputOf(LabNode node, Process p, string program) => Path.Combine(node.Directory, $"{Path.GetFileName(program)}-{p.Id}.out");

    /// <summary>Starts any program inside the node's namespace; the lab kills it on dispose.</summary>
    public Process StartInNamespace(LabNode node, string program, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("netns");
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(node.Namespace);
        psi.ArgumentList.Add(program);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        string outFile = Path.Combine(node.Directory, $"{Path.GetFileName(program)}-{p.Id}.out");
        p.OutputDataReceived += (_, e) => AppendLine(outFile, e.Data);
        p.ErrorDataReceived += (_, e) => AppendLine(outFile, e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        lock (_processes)
        {
            _processes.Add(p);
        }

        return p;
    }

    /// <summary>Runs a command in the node's namespace and returns its standard output.</summary>
    public string Exec(LabNode node, string program, params string[] args)
    {
        var all = new List<string> { "netns", "exec", node.Namespace, program };
        all.AddRange(args);
        return Shell.Run("ip", all.ToArray());
    }

    /// <summary>Waits until the node's corosync log has a line matching <paramref name="pattern"/> after <paramref name="fromOffset"/>.</summary>
    public static bool WaitForLog(LabNode node, string pattern, TimeSpan timeout, long fromOffset = 0)
    {
        var re = new Regex(pattern);
        Stopwatch sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (File.Exists(node.LogFile))
            {
                string text = ReadFrom(node.LogFile, fromOffset);
                if (re.IsMatch(text))
                {
                    return true;
                }
            }

            Thread.Sleep(50);
        }

        return false;
    }

    public static long LogLength(LabNode node) => File.Exists(node.LogFile) ? new FileInfo(node.LogFile).Length : 0;

    /// <summary>Sends a signal to a process this lab started (never to anything else).</summary>
    public void Signal(Process p, int signal)
    {
        if (!p.HasExited)
        {
            kill(p.Id, signal);
        }
    }

    public void Dispose()
    {
        List<Process> started;
        lock (_processes)
        {
            started = new List<Process>(_processes);
        }

        foreach (Process p in started)
        {
            Signal(p, 15);
        }

        foreach (Process p in started)
        {
            if (!p.WaitForExit(3000))
            {
                Signal(p, 9);
                p.WaitForExit(2000);
            }
        }

        _network.Delete();

        // Configs, logs and state dirs go too (a test that wants evidence copies it out before disposing).
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"NetLab: could not remove {Root}: {e.Message}");
        }
    }

    private static string ReadFrom(string path, long offset)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (offset > fs.Length)
        {
            offset = 0;
        }

        fs.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(fs);
        return reader.ReadToEnd();
    }

    private static readonly object FileLock = new();

    private static void AppendLine(string file, string? line)
    {
        if (line == null)
        {
            return;
        }

        lock (FileLock)
        {
            File.AppendAllText(file, line + "\n");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);
}

/// <summary>One host of a <see cref="NetLab"/>.</summary>
internal sealed class LabNode(NetLab lab, int id, string ns, string ipv4, string ipv6, string directory)
{
    public NetLab Lab { get; } = lab;

    public int Id { get; } = id;

    public string Namespace { get; } = ns;

    public string Ipv4 { get; } = ipv4;

    public string Ipv6 { get; } = ipv6;

    public string Directory { get; } = directory;

    public string StateDir => Path.Combine(Directory, "state");

    public string ConfigFile => Path.Combine(Directory, "corosync.conf");

    public string LogFile => Path.Combine(Directory, "corosync.log");

    public string EventsFile => Path.Combine(Directory, "events.jsonl");

    /// <summary>The host's addresses on the second bridge (knet link 1), once <see cref="NetLab.AddLink1"/> made it.</summary>
    public string? Link1Ipv4 { get; set; }

    public string? Link1Ipv6 { get; set; }

    public Process? Corosync { get; set; }

    public Process? FastTotem { get; set; }
}
