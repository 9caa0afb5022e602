using System.Diagnostics;
using System.Text;
using FastTotem.Cli.Bench;

namespace FastTotem.Lab;

/// <summary>How <see cref="NetLab.KnetConf"/> writes a knet corosync.conf.</summary>
internal sealed record KnetLabOptions
{
    /// <summary>aes256 + sha256, as pcs sets up a cluster; false: crypto none.</summary>
    public bool Crypto { get; init; } = true;

    /// <summary>ring0_addr as host names (node1, node2 …) resolved through the lab's /etc/hosts, as pcs writes them.</summary>
    public bool HostNames { get; init; } = true;

    public bool Ipv6 { get; init; }

    /// <summary>Add ring1_addr on the second bridge (link 1) and interface sections with these priorities (link 0 first).</summary>
    public int[]? LinkPriorities { get; init; }

    public string LinkMode { get; init; } = "passive";

    /// <summary>totem.token in ms; null leaves corosync's default (3000, + 650 per node above two).</summary>
    public int? TokenMs { get; init; }

    /// <summary>knet_ping_interval and knet_ping_timeout of link 0 in ms; null leaves them derived from the token.</summary>
    public (int IntervalMs, int TimeoutMs)? Ping { get; init; }
}

/// <summary>
/// The knet side of the lab: a second bridge for link 1, an authkey, and nodes that run with the very files a pcs
/// cluster has: /etc/corosync/corosync.conf, /etc/corosync/authkey and /etc/hosts, each node seeing its own copies
/// through a private mount namespace (nothing on the host's /etc changes).
/// </summary>
internal sealed partial class NetLab
{
    private bool _bridge1;

    /// <summary>The lab's authkey (256 bytes from corosync-keygen, as on a pcs cluster).</summary>
    public string AuthKey => Path.Combine(Root, "authkey");

    /// <summary>The lab's hosts file: nodeN for every host (link 0 addresses), nodeN-l1 for link 1.</summary>
    public string HostsFile => Path.Combine(Root, "hosts");

    /// <summary>Writes a fresh authkey with corosync-keygen (or 256 random bytes without it).</summary>
    public void WriteAuthKey(string? path = null)
    {
        path ??= AuthKey;
        File.Delete(path);
        (int code, _, _) = Shell.TryRun("corosync-keygen", "-k", path);
        if (code != 0 || !File.Exists(path))
        {
            File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(256));
        }
    }

    /// <summary>Gives host N a second interface on bridge br1: 10.215.L.N/24 and fd00:215:L::N/64 (knet link 1).</summary>
    public void AddLink1(LabNode node)
    {
        if (!_bridge1)
        {
            _network.AddBridge("br1");
            _bridge1 = true;
        }

        int n = node.Id;
        _network.Connect(node.Namespace, $"w{n}", $"q{n}", "br1", null, $"10.215.{_subnet}.{n}/24", $"fd00:215:{_subnet}::{n}/64");
        node.Link1Ipv4 = $"10.215.{_subnet}.{n}";
        node.Link1Ipv6 = $"fd00:215:{_subnet}::{n}";
    }

    /// <summary>Sets the MTU of host N's link 0 interface (v{N}) and of its bridge port (p{N} in the switch namespace).</summary>
    public void SetPathMtu(LabNode node, int mtu)
    {
        string value = mtu.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Shell.Run("ip", "-n", node.Namespace, "link", "set", $"v{node.Id}", "mtu", value);
        Shell.Run("ip", "-n", SwitchNamespace, "link", "set", $"p{node.Id}", "mtu", value);
    }

    /// <summary>Takes a host's link 0 interface down or up (ip link set v{N} down|up inside its namespace).</summary>
    public void SetLink0(LabNode node, bool up) =>
        Shell.Run("ip", "-n", node.Namespace, "link", "set", $"v{node.Id}", up ? "up" : "down");

    /// <summary>
    /// A pcs-shaped knet corosync.conf (transport knet, crypto_cipher aes256, crypto_hash sha256, no keyfile, so
    /// /etc/corosync/authkey; nodes with name, nodeid and ring0_addr host names) with the lab's log file.
    /// Also writes the hosts file the nodes resolve the names with.
    /// </summary>
    public string KnetConf(LabNode self, IEnumerable<int> nodelist, KnetLabOptions options)
    {
        var sb = new StringBuilder();
        sb.Append("totem {\n\tversion: 2\n\tcluster_name: ftknet\n\tcluster_uuid: 2fb1b8f3e9c84b3f8d2c1b0a9e8d7c6b\n\ttransport: knet\n");
        sb.Append(options.Crypto ? "\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n" : "\tcrypto_cipher: none\n\tcrypto_hash: none\n");
        if (options.TokenMs is int token)
        {
            sb.Append($"\ttoken: {token}\n");
        }

        if (options.Ipv6)
        {
            sb.Append("\tip_version: ipv6\n");
        }

        if (options.Ping is { } ping && options.LinkPriorities is null)
        {
            sb.Append($"\tinterface {{\n\t\tlinknumber: 0\n\t\tknet_ping_interval: {ping.IntervalMs}\n\t\tknet_ping_timeout: {ping.TimeoutMs}\n\t}}\n");
        }

        if (options.LinkPriorities is { } priorities)
        {
            sb.Append($"\tlink_mode: {options.LinkMode}\n");
            for (int l = 0; l < priorities.Length; l++)
            {
                sb.Append($"\tinterface {{\n\t\tlinknumber: {l}\n\t\tknet_link_priority: {priorities[l]}\n\t}}\n");
            }
        }

        sb.Append("}\n\nnodelist {\n");
        var hosts = new StringBuilder("127.0.0.1 localhost\n::1 localhost\n");
        foreach (int id in nodelist)
        {
            LabNode other = _nodes[id];
            string a0 = options.Ipv6 ? other.Ipv6 : other.Ipv4;
            string? a1 = options.Ipv6 ? other.Link1Ipv6 : other.Link1Ipv4;
            hosts.Append($"{a0} node{id}\n");
            if (a1 != null)
            {
                hosts.Append($"{a1} node{id}-l1\n");
            }

            sb.Append($"\tnode {{\n\t\tring0_addr: {(options.HostNames ? $"node{id}" : a0)}\n");
            if (options.LinkPriorities != null)
            {
                sb.Append($"\t\tring1_addr: {(options.HostNames ? $"node{id}-l1" : a1)}\n");
            }

            sb.Append($"\t\tname: node{id}\n\t\tnodeid: {id}\n\t}}\n");
        }

        sb.Append("}\n\nquorum {\n\tprovider: corosync_votequorum\n}\n\n");
        sb.Append($"logging {{\n\tto_logfile: yes\n\tlogfile: {self.LogFile}\n\tto_syslog: no\n\tto_stderr: no\n\ttimestamp: hires\n\tdebug: on\n}}\n\n");
        sb.Append($"system {{\n\tstate_dir: {self.StateDir}\n}}\n");
        File.WriteAllText(self.ConfigFile, sb.ToString());
        File.WriteAllText(HostsFile, hosts.ToString());
        return self.ConfigFile;
    }

    /// <summary>
    /// The shell prefix that gives a process its own /run, and /etc/corosync holding this node's corosync.conf and
    /// the lab's authkey, and /etc/hosts = the lab's hosts file, all in a private mount namespace.
    /// </summary>
    private string KnetMounts(LabNode node, string? authKey) =>
        $"mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /etc/corosync && cp {node.ConfigFile} /etc/corosync/corosync.conf && " +
        $"cp {authKey ?? AuthKey} /etc/corosync/authkey && chmod 400 /etc/corosync/authkey && mount --bind {HostsFile} /etc/hosts && ";

    /// <summary>Starts corosync exactly as a pcs node runs it: <c>corosync -f</c> with its default files.</summary>
    public Process StartKnetCorosync(LabNode node, string? authKey = null)
    {
        Process p = StartInNamespace(node, "unshare", "-m", "sh", "-c", KnetMounts(node, authKey) + "exec corosync -f");
        node.Corosync = p;
        return p;
    }

    /// <summary>Starts <c>fasttotem run -c /etc/corosync/corosync.conf</c> with the same files.</summary>
    public Process StartKnetFastTotem(LabNode node, string? authKey = null, params string[] extraArgs) =>
        StartKnetFastTotemVerb(node, authKey, new[] { "run", "-c", "/etc/corosync/corosync.conf", "--events", node.EventsFile }.Concat(extraArgs).ToArray());

    /// <summary>Starts <c>fasttotem ARGS</c> (e.g. <c>cpg -c /etc/corosync/corosync.conf ...</c>) with the same files.</summary>
    public Process StartKnetFastTotemVerb(LabNode node, string? authKey, params string[] args)
    {
        Process p = StartInNamespace(node, "unshare", "-m", "sh", "-c", KnetMounts(node, authKey) + $"exec {Repo.FastTotem} {string.Join(' ', args)}");
        node.FastTotem = p;
        return p;
    }

    /// <summary>
    /// One counter for links 0 and 1 of a host, read in a single <c>corosync-cmapctl</c> call so that the two values
    /// are taken at the same moment (two calls are hundreds of milliseconds apart on a loaded machine).
    /// </summary>
    public (long Link0, long Link1) KnetStatBothLinks(LabNode daemon, int hostId, string counter)
    {
        string text = Exec(daemon, "corosync-cmapctl", "-m", "stats", $"stats.knet.node{hostId}.");
        return (Read(0), Read(1));

        long Read(int link)
        {
            System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(
                text, $@"stats\.knet\.node{hostId}\.link{link}\.{counter} \([a-z0-9]+\) = (\d+)");
            return m.Success ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        }
    }

    /// <summary>The fasttotem process's stderr and stdout so far.</summary>
    public static string FastTotemOutput(LabNode node)
    {
        string text = "";
        foreach (string f in Directory.GetFiles(node.Directory, "unshare-*.out"))
        {
            text += File.ReadAllText(f);
        }

        return text;
    }
}
