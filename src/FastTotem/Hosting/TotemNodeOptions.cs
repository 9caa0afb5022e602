using System.Net;
using FastTotem.Config;
using Microsoft.Extensions.Logging;

namespace FastTotem;

/// <summary>One nodelist entry for <see cref="TotemNodeOptions"/>.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Address">Its ring0 address.</param>
/// <param name="QuorumVotes">Its votes (1 by default, as corosync).</param>
public sealed record TotemMember(uint NodeId, IPAddress Address, uint QuorumVotes = 1);

/// <summary>
/// The settings of a <see cref="TotemNode"/> given in code instead of a corosync.conf file. Each maps straight to the
/// corosync.conf key named in its summary and is checked against the same range (<see cref="TotemNode.Create"/>
/// throws <see cref="ArgumentException"/> naming what is wrong).
/// </summary>
public sealed class TotemNodeOptions
{
    /// <summary>This node's id; must be in <see cref="Members"/>.</summary>
    public required uint NodeId { get; init; }

    /// <summary>The nodelist: every member of the cluster, this node included, all IPv4 or all IPv6.</summary>
    public required IReadOnlyList<TotemMember> Members { get; init; }

    /// <summary>totem.transport: <see cref="TotemTransport.Udpu"/> (unicast to every member, the default) or <see cref="TotemTransport.Udp"/> (multicast). knet needs a corosync.conf (<see cref="TotemNode.FromConfigFile"/>).</summary>
    public TotemTransport Transport { get; init; } = TotemTransport.Udpu;

    /// <summary>totem.cluster_name (used to derive the multicast group for udp).</summary>
    public string ClusterName { get; init; } = "fasttotem";

    /// <summary>The Totem port (mcastport), 5405 as corosync.</summary>
    public int Port { get; init; } = CorosyncConfig.DefaultMcastPort;

    /// <summary>totem.token in ms (3000 as corosync; token_coefficient is added beyond two nodes).</summary>
    public int TokenMs { get; init; } = CorosyncConfig.DefaultTokenMs;

    /// <summary>Where the ring seq is kept (system.state_dir).</summary>
    public string StateDir { get; init; } = CorosyncConfig.DefaultStateDir;

    /// <summary>interface.mcastaddr for udp; derived from <see cref="ClusterName"/> as corosync does when null.</summary>
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

    /// <summary>
    /// totem.fasttotem_accelerated: on a ring whose every member is a FastTotem node with this on, pass the token ahead
    /// of each visit's new multicasts (the accelerated ring, docs/accelerated-ring.md). Any corosync daemon in the ring
    /// keeps it in standard mode; see <see cref="TotemNode.RingMode"/>. Off by default.
    /// </summary>
    public bool Accelerated { get; init; }

    /// <summary>totem.netmtu (576 to 65,536): the largest Totem frame; null keeps corosync's 1500. Every member must agree.</summary>
    public int? NetMtu { get; init; }

    /// <summary>
    /// Open the status socket <c>&lt;StateDir&gt;/fasttotem-&lt;NodeId&gt;.sock</c> when the node starts, for
    /// <c>fasttotem status</c> (see <see cref="TotemNode.OpenStatusSocket"/>); off by default.
    /// </summary>
    public bool StatusSocket { get; init; }

    /// <summary>
    /// Where the node logs its control plane: rings formed, why the ring re-forms (gather reasons), synchronisation
    /// started, completed or aborted, faults, transport reports and summaries of dropped packets (at most one every
    /// 10 s). Lines are written from a pool thread, never from the protocol thread, and nothing is logged per message.
    /// Null logs nothing.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Tests: how often dropped packets are summarised in the log (10 s by default).</summary>
    internal TimeSpan? DropLogInterval { get; init; }
}
