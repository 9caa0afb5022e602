using System.Net;
using FastTotem.Config;

namespace FastTotem.Transport;

/// <summary>One nodelist member as the transport sees it: a nodeid and its ring0 address.</summary>
internal readonly record struct TransportMember(uint NodeId, IPAddress Address);

/// <summary>Socket settings of one Totem link (link 0).</summary>
internal sealed class TransportOptions
{
    public required TotemTransport Kind { get; init; }

    public required uint LocalNodeId { get; init; }

    /// <summary>The local ring0 address: sockets bind to it so peers' block_unlisted_ips accepts our datagrams.</summary>
    public required IPAddress LocalAddress { get; init; }

    /// <summary>mcastport: the token socket's port, and the destination port of every datagram.</summary>
    public int Port { get; init; } = CorosyncConfig.DefaultMcastPort;

    /// <summary>Multicast group for <see cref="TotemTransport.Udp"/>.</summary>
    public IPAddress? McastAddress { get; init; }

    public int Ttl { get; init; } = 1;

    /// <summary>Every nodelist member, this node included (udpu unicasts "mcast" traffic to each).</summary>
    public required TransportMember[] Members { get; init; }

    /// <summary>Drop datagrams whose source IP is not a nodelist address (corosync's block_unlisted_ips, default yes;
    /// corosync applies it to udpu, not to udp).</summary>
    public bool BlockUnlistedIps { get; init; } = true;

    /// <summary>
    /// Send a token visit's mcasts to each peer as one UDP GSO buffer (UDP_SEGMENT) that the kernel cuts into the
    /// ordinary datagrams a corosync peer expects. Probed once at start; off where the kernel lacks it.
    /// </summary>
    public bool Gso { get; init; } = true;

    /// <summary>Let the kernel hand over coalesced datagrams (UDP_GRO), split here by their segment size. Probed once.</summary>
    public bool Gro { get; init; } = true;

    /// <summary>
    /// The environment's say on GSO and GRO: FASTTOTEM_UDP_OFFLOAD=off turns both off, =gso or =gro keeps only that
    /// one (for before/after measurements; unset means both on).
    /// </summary>
    internal static (bool Gso, bool Gro) OffloadFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable("FASTTOTEM_UDP_OFFLOAD");
        return value switch
        {
            "off" or "0" or "none" => (false, false),
            "gso" => (true, false),
            "gro" => (false, true),
            _ => (true, true),
        };
    }

    public static TransportOptions FromConfig(CorosyncConfig config, uint localNodeId)
    {
        var members = new TransportMember[config.Nodes.Count];
        IPAddress? local = null;
        for (int i = 0; i < members.Length; i++)
        {
            ConfigNode node = config.Nodes[i];
            IPAddress[] addresses = config.ResolveRing0(node);
            if (addresses.Length == 0)
            {
                throw new CorosyncConfigException($"cannot resolve ring0_addr '{node.Ring0Address}' of node {node.NodeId}", node.Line);
            }

            members[i] = new TransportMember(node.NodeId, addresses[0]);
            if (node.NodeId == localNodeId)
            {
                local = addresses[0];
            }
        }

        if (local == null)
        {
            throw new CorosyncConfigException($"nodeid {localNodeId} is not in the nodelist");
        }

        (bool gso, bool gro) = OffloadFromEnvironment();
        return new TransportOptions
        {
            Gso = gso,
            Gro = gro,
            Kind = config.Transport,
            LocalNodeId = localNodeId,
            LocalAddress = local,
            Port = config.McastPort,
            McastAddress = config.McastAddress,
            Ttl = config.Ttl,
            Members = members,
            BlockUnlistedIps = config.BlockUnlistedIps && config.Transport == TotemTransport.Udpu,
        };
    }
}
