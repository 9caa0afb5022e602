using System.Net;
using System.Net.Sockets;
using FastTotem.Config;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Hosting;

/// <summary>Typed options to the settings the engine runs with; the corosync.conf reader sits below Hosting and knows no options type.</summary>
internal static class TotemNodeOptionsMapping
{
    /// <summary>
    /// The settings of <paramref name="options"/>, mapped field by field: what a corosync.conf with the same keys
    /// would give, checked by the same ranges, but with no text in between (a cluster name or a path is a value,
    /// never syntax). Errors are <see cref="ArgumentException"/>s naming the option.
    /// </summary>
    internal static CorosyncConfig ToConfig(TotemNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Members, nameof(options.Members));
        if (options.Transport == TotemTransport.Knet)
        {
            throw new ArgumentException("knet needs its links, crypto and authkey from a corosync.conf: use TotemNode.FromConfigFile (TotemNodeOptions speaks udpu and udp)", nameof(options));
        }

        if (!Enum.IsDefined(options.Transport))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Transport {options.Transport} is not udpu or udp");
        }

        if (options.Members.Count == 0 || options.Members.Count > WireLimits.ProcessorCountMax)
        {
            throw new ArgumentException($"Members holds 1 to {WireLimits.ProcessorCountMax} nodes, not {options.Members.Count}", nameof(options));
        }

        if (string.IsNullOrEmpty(options.ClusterName))
        {
            throw new ArgumentException("ClusterName must not be empty", nameof(options));
        }

        if (string.IsNullOrEmpty(options.StateDir))
        {
            throw new ArgumentException("StateDir must not be empty", nameof(options));
        }

        Check(options.Port is >= 2 and <= 65535, $"Port {options.Port} is out of range: use 2 to 65535");
        Check(options.TokenMs is >= 30 and <= int.MaxValue / 4, $"TokenMs {options.TokenMs} is out of range: use 30 to {int.MaxValue / 4}");

        AddressFamily family = options.Members[0]?.Address?.AddressFamily ?? AddressFamily.Unspecified;
        var nodes = new List<ConfigNode>(options.Members.Count);
        foreach (TotemMember? m in options.Members)
        {
            if (m?.Address == null)
            {
                throw new ArgumentException("every member needs an address", nameof(options));
            }

            Check(m.NodeId != 0, "nodeid 0 is not a node");
            Check(m.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6, $"node {m.NodeId}: {m.Address} is not an IPv4 or IPv6 address");
            Check(m.Address.AddressFamily == family, $"node {m.NodeId}: {m.Address} is not of the same address family as the first member's");
            foreach (ConfigNode other in nodes)
            {
                Check(other.NodeId != m.NodeId, $"nodeid {m.NodeId} is used twice");
            }

            // Line 0: there is no file; errors name the option instead.
            nodes.Add(new ConfigNode(m.NodeId, m.Address.ToString(), null, m.QuorumVotes, 0));
        }

        Check(nodes.Exists(n => n.NodeId == options.NodeId), $"NodeId {options.NodeId} is not in Members");

        int netMtu = options.NetMtu ?? WireLimits.NetMtuDefault;
        var defaults = new SrpConfig();
        if (SrpLimits.Validate(netMtu, defaults.WindowSize, defaults.MaxMessages) is { } limitError)
        {
            throw new ArgumentOutOfRangeException(nameof(options), limitError);
        }

        bool v6 = family == AddressFamily.InterNetworkV6;
        TotemIpVersion ipVersion = v6 ? TotemIpVersion.Ipv6 : TotemIpVersion.Ipv4;
        IPAddress? mcastAddress = null;
        if (options.Transport == TotemTransport.Udp)
        {
            if (options.McastAddress is { } group)
            {
                Check(group.AddressFamily == family && CorosyncConfig.IsMulticastAddress(group), $"McastAddress {group} is not a multicast address of the members' family");
                mcastAddress = group;
            }
            else
            {
                mcastAddress = CorosyncConfig.DefaultMcastAddress(options.ClusterName, ipVersion);
            }
        }
        else if (options.McastAddress != null)
        {
            throw new ArgumentException("McastAddress is for Transport udp (multicast)", nameof(options));
        }

        return CorosyncConfig.FromSettings(options.ClusterName, options.Transport, ipVersion, options.TokenMs, netMtu, options.Port, options.StateDir, options.SchedRr, nodes, mcastAddress);
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message, "options");
        }
    }
}
