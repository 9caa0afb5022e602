using System.Net;
using System.Text;

namespace FastTotem.Hosting;

/// <summary>One nodelist entry for <see cref="TotemNodeOptions"/>.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Address">Its ring0 address.</param>
/// <param name="QuorumVotes">Its votes (1 by default, as corosync).</param>
public sealed record TotemMember(uint NodeId, IPAddress Address, uint QuorumVotes = 1);

/// <summary>The settings of a <see cref="TotemNode"/> given in code instead of a corosync.conf file.</summary>
public sealed class TotemNodeOptions
{
    /// <summary>This node's id; must be in <see cref="Members"/>.</summary>
    public required uint NodeId { get; init; }

    /// <summary>The nodelist: every member of the cluster, this node included.</summary>
    public required IReadOnlyList<TotemMember> Members { get; init; }

    /// <summary>"udpu" (unicast to every member) or "udp" (multicast).</summary>
    public string Transport { get; init; } = "udpu";

    /// <summary>totem.cluster_name (used to derive the multicast group for "udp").</summary>
    public string ClusterName { get; init; } = "fasttotem";

    /// <summary>The Totem port (mcastport), 5405 as corosync.</summary>
    public int Port { get; init; } = 5405;

    /// <summary>totem.token in ms (3000 as corosync; token_coefficient is added beyond two nodes).</summary>
    public int TokenMs { get; init; } = 3000;

    /// <summary>Where the ring seq is kept (system.state_dir).</summary>
    public string StateDir { get; init; } = "/var/lib/corosync";

    /// <summary>Multicast group for "udp"; derived from <see cref="ClusterName"/> when null.</summary>
    public IPAddress? McastAddress { get; init; }

    /// <summary>Spin on the sockets instead of sleeping in epoll: lowest latency, one core busy.</summary>
    public bool BusyPoll { get; init; }

    /// <summary>
    /// Run the protocol loop thread under SCHED_RR at the highest priority, as corosync runs its daemon
    /// (corosync.conf system.sched_rr; corosync defaults to yes, FastTotem to no: it runs inside the application).
    /// Needs CAP_SYS_NICE; without it the node runs with normal scheduling. Ignored with <see cref="BusyPoll"/>.
    /// </summary>
    public bool SchedRr { get; init; }

    /// <summary>Pin the protocol loop thread to this CPU (sched_setaffinity); null leaves it to the scheduler.</summary>
    public int? PinCpu { get; init; }

    /// <summary>totem.netmtu (576 to 65,536): the largest Totem frame; null keeps corosync's 1500. Every member must agree.</summary>
    public int? NetMtu { get; init; }

    internal string ToCorosyncConf()
    {
        var sb = new StringBuilder();
        sb.Append($"totem {{\n\tversion: 2\n\tcluster_name: {ClusterName}\n\ttransport: {Transport}\n\ttoken: {TokenMs}\n");
        if (NetMtu is { } netMtu)
        {
            sb.Append($"\tnetmtu: {netMtu}\n");
        }

        bool v6 = Members.Count > 0 && Members[0].Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (v6)
        {
            sb.Append("\tip_version: ipv6\n");
        }

        sb.Append($"\tinterface {{\n\t\tlinknumber: 0\n\t\tmcastport: {Port}\n");
        if (McastAddress != null)
        {
            sb.Append($"\t\tmcastaddr: {McastAddress}\n");
        }

        sb.Append($"\t}}\n}}\nsystem {{\n\tstate_dir: {StateDir}\n\tsched_rr: {(SchedRr ? "yes" : "no")}\n}}\nnodelist {{\n");
        foreach (TotemMember m in Members)
        {
            sb.Append($"\tnode {{\n\t\tnodeid: {m.NodeId}\n\t\tring0_addr: {m.Address}\n\t\tquorum_votes: {m.QuorumVotes}\n\t}}\n");
        }

        sb.Append("}\n");
        return sb.ToString();
    }
}
