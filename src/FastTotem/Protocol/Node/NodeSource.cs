namespace FastTotem.Protocol.Node;

/// <summary>
/// Who handed a datagram to the machine. udpu/udp cannot tell (the Totem header names the sender, unauthenticated);
/// the loop marks the datagrams the node addressed to itself; a knet transport below the machine knows the host id
/// and the link a packet came over.
/// </summary>
internal readonly struct NodeSource
{
    public NodeSource(uint nodeId, byte link = 0)
    {
        NodeId = nodeId;
        Link = link;
    }

    /// <summary>The transmitting node, or 0 when the transport cannot tell.</summary>
    public uint NodeId { get; }

    /// <summary>The link it came over (knet: 0–7; udpu/udp: always 0).</summary>
    public byte Link { get; }

    /// <summary>A datagram whose sender the transport cannot name.</summary>
    public static NodeSource Unknown => default;
}
