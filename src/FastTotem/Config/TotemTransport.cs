namespace FastTotem;

/// <summary>The Totem transports FastTotem speaks (corosync.conf totem.transport).</summary>
[BaseLayer]
public enum TotemTransport
{
    /// <summary>udpu: UDP unicast to every nodelist member.</summary>
    Udpu,

    /// <summary>udp: UDP multicast to the cluster's group (interface.mcastaddr, derived from the cluster name when absent).</summary>
    Udp,

    /// <summary>knet: corosync 3's default, kronosnet framing with optional crypto and up to 8 links per node.</summary>
    Knet,
}
