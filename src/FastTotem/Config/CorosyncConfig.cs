using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using FastTotem.Protocol.Srp;

namespace FastTotem.Config;

/// <summary>totem.ip_version (totemconfig.c totem_config_get_ip_version).</summary>
internal enum TotemIpVersion
{
    Ipv4,
    Ipv6,
    Ipv4Then6,
    Ipv6Then4,
}

/// <summary>One <c>nodelist.node</c> entry.</summary>
internal sealed record ConfigNode(uint NodeId, string Ring0Address, string? Name, uint QuorumVotes, int Line)
{
    /// <summary>ring0_addr .. ring7_addr (index = link number); null where the entry has none.</summary>
    public string?[] RingAddresses { get; init; } = new[] { Ring0Address, null, null, null, null, null, null, null };
}

/// <summary>
/// The parts of a corosync.conf that a udpu/udp Totem member uses, read from the very file a
/// corosync 3.1 node runs with. Unset timing keys stay null so the engine derives them exactly
/// as corosync does; features FastTotem does not speak are refused with what to use instead.
/// </summary>
internal sealed partial class CorosyncConfig
{
    public const int DefaultMcastPort = 5405;
    public const int DefaultTokenMs = 3000;
    public const int DefaultTokenCoefficientMs = 650;
    public const string DefaultStateDir = "/var/lib/corosync";

    public string? ClusterName { get; private set; }

    public TotemTransport Transport { get; private set; }

    public TotemIpVersion IpVersion { get; private set; }

    public int TokenMs { get; private set; } = DefaultTokenMs;

    public int TokenCoefficientMs { get; private set; } = DefaultTokenCoefficientMs;

    public int? TokenRetransmitMs { get; private set; }

    public int? HoldMs { get; private set; }

    public int? TokenRetransmitsBeforeLossConst { get; private set; }

    public int? ConsensusMs { get; private set; }

    public int? JoinMs { get; private set; }

    public int? MergeMs { get; private set; }

    public int? DowncheckMs { get; private set; }

    public int? FailRecvConst { get; private set; }

    public int? SeqnoUnchangedConst { get; private set; }

    public int? MissCountConst { get; private set; }

    public int? WindowSize { get; private set; }

    public int? MaxMessages { get; private set; }

    /// <summary>totem.netmtu: 1500 for udpu/udp and 65536 for knet when unset (totemconfig.c).</summary>
    public int NetMtu { get; private set; } = 1500;

    /// <summary>The knet settings; set when <see cref="Transport"/> is knet, null otherwise.</summary>
    public KnetConfig? Knet { get; private set; }

    public string? BindNetAddress { get; private set; }

    /// <summary>Keys read and deliberately not used, in words for the operator.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    private readonly List<string> _warnings = [];

    /// <summary>totem.block_unlisted_ips (default yes): drop datagrams from addresses outside the nodelist. corosync
    /// applies it to udpu only; so does FastTotem's transport.</summary>
    public bool BlockUnlistedIps { get; private set; } = true;

    /// <summary>
    /// totem.fasttotem_bind_identity (default yes; corosync ignores the key): believe a message only from the address
    /// of the node it speaks for (docs/robustness.md). Set it to no where NAT rewrites source addresses.
    /// </summary>
    public bool BindIdentity { get; private set; } = true;

    /// <summary>
    /// totem.fasttotem_accelerated (default no; corosync ignores the key): run the accelerated ring when every member
    /// is a FastTotem node with this on (docs/accelerated-ring.md).
    /// </summary>
    public bool Accelerated { get; private set; }

    /// <summary>Multicast group for <see cref="TotemTransport.Udp"/>; derived from the cluster name when unset, as corosync does.</summary>
    public IPAddress? McastAddress { get; private set; }

    public int McastPort { get; private set; } = DefaultMcastPort;

    public int Ttl { get; private set; } = 1;

    public IReadOnlyList<ConfigNode> Nodes { get; private set; } = Array.Empty<ConfigNode>();

    public string? QuorumProvider { get; private set; }

    public uint? ExpectedVotes { get; private set; }

    public string StateDir { get; private set; } = DefaultStateDir;

    /// <summary>
    /// system.sched_rr: run the protocol loop thread under SCHED_RR at the highest priority, as corosync runs its
    /// daemon, so a busy host cannot delay the token. Deliberate difference: corosync defaults to yes, FastTotem to
    /// no, because it runs inside the application rather than as a daemon, and a real-time loop takes CPU from the
    /// application's own threads (at 64-byte floods on 2 cores it cut throughput to about a quarter while it cut
    /// the latency tail tenfold; see README). Without the privilege the node runs on with normal scheduling.
    /// </summary>
    public bool SchedRr { get; private set; }

    /// <summary>
    /// totem.token after corosync adds token_coefficient for every node beyond two
    /// (totemconfig.c totem_volatile_config_read): 3 nodes with defaults give 3650 ms.
    /// </summary>
    public int EffectiveTokenMs =>
        Nodes.Count > 2 ? TokenMs + (Nodes.Count - 2) * TokenCoefficientMs : TokenMs;

    public uint[] NodeIds()
    {
        var ids = new uint[Nodes.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = Nodes[i].NodeId;
        }

        return ids;
    }

    public static CorosyncConfig Load(string path)
    {
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorosyncConfigException($"cannot read: {e.Message}", 0, path);
        }

        return Parse(text, path);
    }

    public static CorosyncConfig Parse(string text, string? fileName = null)
    {
        ConfigSection root = ConfigSection.Parse(text, fileName);
        var config = new CorosyncConfig();
        var reader = new Reader(fileName);

        ConfigSection totem = root.First("totem")
            ?? throw new CorosyncConfigException("no 'totem' section", 0, fileName);
        config.ReadTotem(totem, reader);

        ConfigSection? nodelist = root.First("nodelist");
        if (nodelist != null)
        {
            config.ReadNodelist(nodelist, reader);
        }

        if (config.Transport is TotemTransport.Udpu or TotemTransport.Knet && config.Nodes.Count == 0)
        {
            string name = config.Transport == TotemTransport.Knet ? "knet" : "udpu";
            throw new CorosyncConfigException($"transport {name} needs a nodelist with at least one node", totem.Line, fileName);
        }

        if (config.Transport == TotemTransport.Knet)
        {
            config.Knet = KnetConfigReader.Read(totem, config, fileName);
        }

        ConfigSection? quorum = root.First("quorum");
        if (quorum != null)
        {
            config.QuorumProvider = quorum.Find("provider")?.Value;
            if (quorum.Find("expected_votes") is { } ev)
            {
                config.ExpectedVotes = reader.UInt(ev, 1, uint.MaxValue);
            }
        }

        if (root.First("system")?.Find("state_dir") is { } sd)
        {
            config.StateDir = sd.Value;
        }

        if (root.First("system")?.Find("sched_rr") is { } rr)
        {
            config.SchedRr = rr.Value switch
            {
                "yes" or "on" => true,
                "no" or "off" => false,
                _ => throw new CorosyncConfigException($"sched_rr '{rr.Value}' is not yes or no", rr.Line, fileName),
            };
        }

        if (config.BindNetAddress != null && config.Nodes.Count > 0)
        {
            // corosync does the same (TOTEM_CONFIG_BINDNETADDR_NODELIST_SET): the nodelist wins.
            config._warnings.Add($"interface.bindnetaddr '{config.BindNetAddress}' is ignored: the nodelist is used (the local ring0_addr is bound), as corosync does when both are set");
        }

        if (config.Transport == TotemTransport.Udp && config.McastAddress == null)
        {
            config.McastAddress = DefaultMcastAddress(config.ClusterName, config.IpVersion)
                ?? throw new CorosyncConfigException("transport udp needs totem.cluster_name or interface.mcastaddr", totem.Line, fileName);
        }

        return config;
    }

    /// <summary>
    /// The multicast group corosync derives from the cluster name when mcastaddr is unset
    /// (totemconfig.c get_cluster_mcast_addr), quirks included: the low byte is taken modulo 255.
    /// </summary>
    public static IPAddress? DefaultMcastAddress(string? clusterName, TotemIpVersion version, int linkNumber = 0)
    {
        if (clusterName == null)
        {
            return null;
        }

        int value = 0;
        foreach (char c in clusterName)
        {
            value = (value << 1) + (sbyte)(byte)c;
        }

        ushort clusterId = (ushort)((ushort)value + linkNumber);
        string text = version is TotemIpVersion.Ipv6 or TotemIpVersion.Ipv6Then4
            ? $"ff15::{clusterId:x}"
            : $"239.192.{clusterId >> 8}.{clusterId % 0xFF}";
        return IPAddress.Parse(text);
    }

    /// <summary>
    /// Finds this node the way corosync does: the nodelist entry whose ring0_addr is one of this
    /// host's addresses. Returns null when none matches.
    /// </summary>
    public ConfigNode? FindLocalNode(IEnumerable<IPAddress>? localAddresses = null)
    {
        var locals = new HashSet<IPAddress>(localAddresses ?? LocalAddresses());
        foreach (ConfigNode node in Nodes)
        {
            foreach (IPAddress a in ResolveRing0(node))
            {
                if (locals.Contains(a))
                {
                    return node;
                }
            }
        }

        return null;
    }

    /// <summary>Resolves a node's ring0_addr (a literal or a host name) in the configured family order.</summary>
    public IPAddress[] ResolveRing0(ConfigNode node) => ResolveRing(node, 0);

    /// <summary>
    /// Resolves a node's ringN_addr as corosync does (totemip_parse with totem.ip_version): a literal, or a host name
    /// whose addresses of the preferred family come first (ipv6-4, the default for knet and udpu: IPv6 first).
    /// Empty when the entry has no such link or the name does not resolve.
    /// </summary>
    public IPAddress[] ResolveRing(ConfigNode node, int linkNumber)
    {
        string? text = node.RingAddresses[linkNumber];
        if (text == null)
        {
            return Array.Empty<IPAddress>();
        }

        if (IPAddress.TryParse(text, out IPAddress? literal))
        {
            return new[] { literal };
        }

        IPAddress[] all;
        try
        {
            all = Dns.GetHostAddresses(text);
        }
        catch (SocketException)
        {
            return Array.Empty<IPAddress>();
        }

        AddressFamily first = IpVersion is TotemIpVersion.Ipv6 or TotemIpVersion.Ipv6Then4 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        bool allowOther = IpVersion is TotemIpVersion.Ipv4Then6 or TotemIpVersion.Ipv6Then4;
        var result = new List<IPAddress>();
        foreach (IPAddress a in all)
        {
            if (a.AddressFamily == first)
            {
                result.Add(a);
            }
        }

        if (allowOther)
        {
            foreach (IPAddress a in all)
            {
                if (a.AddressFamily != first)
                {
                    result.Add(a);
                }
            }
        }

        return result.ToArray();
    }

    private static IEnumerable<IPAddress> LocalAddresses()
    {
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (UnicastIPAddressInformation u in nic.GetIPProperties().UnicastAddresses)
            {
                yield return u.Address;
            }
        }
    }

    private void ReadTotem(ConfigSection totem, Reader r)
    {
        ClusterName = totem.Find("cluster_name")?.Value;

        ConfigItem? transport = totem.Find("transport");
        Transport = transport?.Value switch
        {
            "udpu" => TotemTransport.Udpu,
            "udp" => TotemTransport.Udp,
            "knet" or null => TotemTransport.Knet,
            _ => throw r.Error(transport, $"unknown transport '{transport.Value}': use knet, udpu or udp"),
        };

        if (totem.Find("version") is { } version && version.Value != "2")
        {
            throw r.Error(version, $"totem.version must be 2, not '{version.Value}'");
        }

        if (Transport != TotemTransport.Knet)
        {
            // corosync itself refuses crypto on udpu/udp ("only valid for the Knet transport").
            foreach (string key in new[] { "crypto_cipher", "crypto_hash" })
            {
                if (totem.Find(key) is { } c && c.Value != "none")
                {
                    throw r.Error(c, $"{key} '{c.Value}' is only valid for the knet transport; set '{key}: none' or use transport knet");
                }
            }

            if (totem.Find("secauth") is { } secauth && secauth.Value == "on")
            {
                throw r.Error(secauth, "secauth is only valid for the knet transport; remove secauth or use transport knet");
            }
        }

        if (totem.Find("ip_version") is { } ipv)
        {
            IpVersion = ipv.Value switch
            {
                "ipv4" => TotemIpVersion.Ipv4,
                "ipv6" => TotemIpVersion.Ipv6,
                "ipv4-6" => TotemIpVersion.Ipv4Then6,
                "ipv6-4" => TotemIpVersion.Ipv6Then4,
                _ => throw r.Error(ipv, $"unknown ip_version '{ipv.Value}': use ipv4, ipv6, ipv4-6 or ipv6-4"),
            };
        }
        else
        {
            IpVersion = Transport == TotemTransport.Udp ? TotemIpVersion.Ipv4 : TotemIpVersion.Ipv6Then4;
        }

        if (totem.Find("token") is { } token)
        {
            TokenMs = r.Int(token, 30, int.MaxValue / 4);
        }

        if (totem.Find("token_coefficient") is { } coefficient)
        {
            TokenCoefficientMs = r.Int(coefficient, 0, int.MaxValue / 1024);
        }

        TokenRetransmitMs = r.OptionalInt(totem, "token_retransmit", 1);
        HoldMs = r.OptionalInt(totem, "hold", 1);
        TokenRetransmitsBeforeLossConst = r.OptionalInt(totem, "token_retransmits_before_loss_const", 1);
        ConsensusMs = r.OptionalInt(totem, "consensus", 1);
        JoinMs = r.OptionalInt(totem, "join", 1);
        MergeMs = r.OptionalInt(totem, "merge", 1);
        DowncheckMs = r.OptionalInt(totem, "downcheck", 1);
        FailRecvConst = r.OptionalInt(totem, "fail_recv_const", 1);
        SeqnoUnchangedConst = r.OptionalInt(totem, "seqno_unchanged_const", 1);
        MissCountConst = r.OptionalInt(totem, "miss_count_const", 1);
        WindowSize = r.OptionalInt(totem, "window_size", 1);
        MaxMessages = r.OptionalInt(totem, "max_messages", 1);
        if (totem.Find("block_unlisted_ips") is { } block)
        {
            BlockUnlistedIps = r.YesNo(block);
        }

        if (totem.Find("fasttotem_bind_identity") is { } bind)
        {
            BindIdentity = r.YesNo(bind);
        }

        if (totem.Find("fasttotem_accelerated") is { } accelerated)
        {
            Accelerated = r.YesNo(accelerated);
        }

        if (totem.Find("netmtu") is { } mtu)
        {
            NetMtu = r.Int(mtu, 576, SrpLimits.NetMtuMax);
        }
        else if (Transport == TotemTransport.Knet)
        {
            NetMtu = KnetConfig.DefaultNetMtu;
        }

        // What the engine's buffers and stores are sized from (SrpLimits): refuse here, naming the line, rather
        // than fail in the engine's constructor or allocate gigabytes.
        int window = WindowSize ?? new SrpConfig().WindowSize;
        int messages = MaxMessages ?? new SrpConfig().MaxMessages;
        if (SrpLimits.Validate(NetMtu, window, messages) is { } limitError)
        {
            ConfigItem at = totem.Find("window_size") ?? totem.Find("max_messages") ?? totem.Find("netmtu")!;
            throw r.Error(at, limitError);
        }

        if (Transport == TotemTransport.Knet)
        {
            // Per-link interface sections are read with the nodelist (KnetConfigReader).
            return;
        }

        foreach (ConfigSection iface in totem.All("interface"))
        {
            ConfigItem? link = iface.Find("linknumber") ?? iface.Find("ringnumber");
            if (link != null && link.Value != "0")
            {
                throw r.Error(link, $"link {link.Value} is not supported: udpu and udp use link 0 only; remove this interface section (several links need knet)");
            }

            BindNetAddress = iface.Find("bindnetaddr")?.Value ?? BindNetAddress;
            if (iface.Find("mcastaddr") is { } ma)
            {
                McastAddress = IPAddress.TryParse(ma.Value, out IPAddress? a) && IsMulticast(a)
                    ? a
                    : throw r.Error(ma, $"mcastaddr '{ma.Value}' is not a multicast address");
            }

            if (iface.Find("mcastport") is { } mp)
            {
                McastPort = r.Int(mp, 2, 65535);
            }

            if (iface.Find("ttl") is { } ttl)
            {
                Ttl = r.Int(ttl, 0, 255);
            }
        }
    }

    private void ReadNodelist(ConfigSection nodelist, Reader r)
    {
        var nodes = new List<ConfigNode>();
        foreach (ConfigSection node in nodelist.All("node"))
        {
            var rings = new string?[KnetConfig.LinkCountMax];
            foreach (ConfigItem item in node.Items)
            {
                if (item.Key.StartsWith("ring", StringComparison.Ordinal) && item.Key.EndsWith("_addr", StringComparison.Ordinal) && item.Key != "ring0_addr")
                {
                    if (Transport != TotemTransport.Knet)
                    {
                        throw r.Error(item, $"{item.Key} is not supported: udpu and udp use one link (ring0_addr); several links need knet");
                    }

                    string digits = item.Key.Substring(4, item.Key.Length - 9);
                    if (digits.Length != 1 || digits[0] < '1' || digits[0] > '7')
                    {
                        throw r.Error(item, $"{item.Key} is not a link: knet has links ring0_addr .. ring7_addr");
                    }

                    rings[digits[0] - '0'] = item.Value;
                }
            }

            ConfigItem addr = node.Find("ring0_addr") ?? throw r.Error(node.Line, "node has no ring0_addr");
            rings[0] = addr.Value;
            ConfigItem id = node.Find("nodeid") ?? throw r.Error(node.Line, Transport == TotemTransport.Knet
                ? $"node has no nodeid: knet requires an explicit nodeid for address '{addr.Value}'"
                : "node has no nodeid: FastTotem needs an explicit nodeid for every node");
            uint nodeId = Transport == TotemTransport.Knet ? r.KnetNodeId(id) : r.UInt(id, 1, uint.MaxValue);
            uint votes = node.Find("quorum_votes") is { } v ? r.UInt(v, 0, uint.MaxValue) : 1;
            foreach (ConfigNode other in nodes)
            {
                if (other.NodeId == nodeId)
                {
                    throw r.Error(id, $"nodeid {nodeId} is used twice (also at line {other.Line})");
                }
            }

            nodes.Add(new ConfigNode(nodeId, addr.Value, node.Find("name")?.Value, votes, node.Line) { RingAddresses = rings });
        }

        if (nodes.Count > Wire.WireLimits.ProcessorCountMax)
        {
            throw r.Error(nodelist.Line, $"the nodelist has {nodes.Count} nodes; a Totem ring holds at most {Wire.WireLimits.ProcessorCountMax}");
        }

        Nodes = nodes;
    }

    /// <summary>Whether <paramref name="a"/> is an IPv4 or IPv6 multicast address.</summary>
    internal static bool IsMulticastAddress(IPAddress a) => IsMulticast(a);

    /// <summary>
    /// Settings that did not come from a file (Hosting's typed options, already checked there): the same object a
    /// corosync.conf with these keys gives, every other key at its default.
    /// </summary>
    internal static CorosyncConfig FromSettings(
        string clusterName, TotemTransport transport, TotemIpVersion ipVersion, int tokenMs, int netMtu, int mcastPort,
        string stateDir, bool schedRr, IReadOnlyList<ConfigNode> nodes, IPAddress? mcastAddress, bool accelerated = false) => new()
    {
        ClusterName = clusterName,
        Transport = transport,
        IpVersion = ipVersion,
        TokenMs = tokenMs,
        NetMtu = netMtu,
        McastPort = mcastPort,
        StateDir = stateDir,
        SchedRr = schedRr,
        Nodes = nodes,
        McastAddress = mcastAddress,
        Accelerated = accelerated,
    };

    private static bool IsMulticast(IPAddress a) =>
        a.AddressFamily == AddressFamily.InterNetworkV6 ? a.IsIPv6Multicast : (a.GetAddressBytes()[0] & 0xF0) == 0xE0;

    /// <summary>Typed reads of items that report the item's line on error.</summary>
    internal readonly struct Reader(string? fileName)
    {
        public CorosyncConfigException Error(ConfigItem item, string message) => new(message, item.Line, fileName);

        public CorosyncConfigException Error(int line, string message) => new(message, line, fileName);

        public int Int(ConfigItem item, int min, int max) =>
            int.TryParse(item.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
                ? v
                : throw Error(item, $"{item.Key} must be a whole number from {min} to {max}, not '{item.Value}'");

        public uint UInt(ConfigItem item, uint min, uint max) =>
            uint.TryParse(item.Value, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) && v >= min && v <= max
                ? v
                : throw Error(item, $"{item.Key} must be a whole number from {min} to {max}, not '{item.Value}'");

        /// <summary>knet host ids are 16 bits: corosync refuses 0 and anything from 65536 up for knet.</summary>
        public uint KnetNodeId(ConfigItem item) =>
            uint.TryParse(item.Value, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) && v >= 1 && v < 65536
                ? v
                : throw Error(item, $"nodeid must be from 1 to 65535 for knet (its host id is 16 bits), not '{item.Value}'");

        public bool YesNo(ConfigItem item) => item.Value switch
        {
            "yes" or "on" => true,
            "no" or "off" => false,
            _ => throw Error(item, $"{item.Key} must be yes or no, not '{item.Value}'"),
        };

        public int? OptionalInt(ConfigSection s, string key, int min) =>
            s.Find(key) is { } item ? Int(item, min, int.MaxValue / 4) : null;
    }
}
