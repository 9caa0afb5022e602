using System.Net;
using Microsoft.Extensions.Logging;

namespace FastTotem;

/// <summary>One nodelist entry of <see cref="FastTotemOptions"/> (configuration: <c>Members:0:NodeId</c>, <c>Members:0:Address</c>).</summary>
public sealed class FastTotemMemberOptions
{
    /// <summary>The node's id.</summary>
    public uint NodeId { get; set; }

    /// <summary>Its ring0 address, IPv4 or IPv6 text.</summary>
    public string Address { get; set; } = "";

    /// <summary>Its votes (1 by default, as corosync).</summary>
    public uint QuorumVotes { get; set; } = 1;
}

/// <summary>
/// The settings of the <see cref="TotemNode"/> that <c>AddFastTotem</c> registers, bindable from configuration
/// (a section such as <c>"FastTotem"</c>). Either <see cref="ConfigFile"/> names a corosync.conf (the daemons' own
/// file; every transport, knet with crypto included), or <see cref="NodeId"/> and <see cref="Members"/> describe the
/// cluster and the other properties map to <see cref="TotemNodeOptions"/>.
/// </summary>
public sealed class FastTotemOptions
{
    /// <summary>A corosync.conf to read; when set, only <see cref="NodeId"/>, <see cref="BusyPoll"/> and <see cref="PinCpu"/> apply besides it.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>This node's id: required without <see cref="ConfigFile"/>; with it, only when the nodelist has no address of this host.</summary>
    public uint? NodeId { get; set; }

    /// <summary>The nodelist (this node included) when there is no <see cref="ConfigFile"/>.</summary>
    public List<FastTotemMemberOptions> Members { get; } = new();

    /// <summary>totem.transport: <c>Udpu</c> (the default) or <c>Udp</c>; knet needs a <see cref="ConfigFile"/>.</summary>
    public string Transport { get; set; } = "Udpu";

    /// <summary>totem.cluster_name.</summary>
    public string ClusterName { get; set; } = "fasttotem";

    /// <summary>The Totem port (mcastport).</summary>
    public int Port { get; set; } = 5405; // corosync's default mcastport

    /// <summary>totem.token in ms.</summary>
    public int TokenMs { get; set; } = 3000; // corosync's default token

    /// <summary>Where the ring seq is kept (system.state_dir).</summary>
    public string StateDir { get; set; } = "/var/lib/corosync"; // corosync's default state_dir

    /// <summary>interface.mcastaddr for udp; derived from <see cref="ClusterName"/> when null.</summary>
    public string? McastAddress { get; set; }

    /// <summary>totem.netmtu; null keeps 1500.</summary>
    public int? NetMtu { get; set; }

    /// <summary>Spin on the sockets instead of sleeping in epoll.</summary>
    public bool BusyPoll { get; set; }

    /// <summary>Run the protocol thread under SCHED_RR (needs CAP_SYS_NICE).</summary>
    public bool SchedRr { get; set; }

    /// <summary>Pin the protocol thread to this CPU.</summary>
    public int? PinCpu { get; set; }

    /// <summary>
    /// Process groups the hosted service joins once the node has synchronised, in queue mode
    /// (<see cref="DeliveryMode.Queue"/>); read them from <see cref="FastTotemGroups"/>.
    /// </summary>
    public List<string> Groups { get; } = new();

    /// <summary>Host start waits for the node's first synchronisation (true by default), so a started host is in a ring.</summary>
    public bool WaitForSync { get; set; } = true;

    /// <summary>Builds the node these options describe, logging to <paramref name="loggerFactory"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither a corosync.conf nor a nodelist is given, or an address is not an address.</exception>
    public TotemNode CreateNode(ILoggerFactory? loggerFactory = null)
    {
        if (ConfigFile != null)
        {
            return TotemNode.FromConfigFile(ConfigFile, NodeId, BusyPoll, PinCpu ?? -1, loggerFactory);
        }

        if (NodeId is not uint nodeId || Members.Count == 0)
        {
            throw new InvalidOperationException("FastTotem options: set ConfigFile (a corosync.conf) or NodeId and Members (the nodelist)");
        }

        var members = new TotemMember[Members.Count];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = new TotemMember(Members[i].NodeId, ParseAddress(Members[i].Address, $"Members:{i}:Address"), Members[i].QuorumVotes);
        }

        if (!Enum.TryParse(Transport, ignoreCase: true, out TotemTransport transport))
        {
            throw new InvalidOperationException($"FastTotem options: Transport '{Transport}' is not one of udpu, udp (knet needs ConfigFile)");
        }

        return TotemNode.Create(new TotemNodeOptions
        {
            NodeId = nodeId,
            Members = members,
            Transport = transport,
            ClusterName = ClusterName,
            Port = Port,
            TokenMs = TokenMs,
            StateDir = StateDir,
            McastAddress = McastAddress == null ? null : ParseAddress(McastAddress, nameof(McastAddress)),
            NetMtu = NetMtu,
            BusyPoll = BusyPoll,
            SchedRr = SchedRr,
            PinCpu = PinCpu,
            LoggerFactory = loggerFactory,
        });
    }

    private static IPAddress ParseAddress(string text, string key) =>
        IPAddress.TryParse(text, out IPAddress? address)
            ? address
            : throw new InvalidOperationException($"FastTotem options: {key} '{text}' is not an IP address");
}
