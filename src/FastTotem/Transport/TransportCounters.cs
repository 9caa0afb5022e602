namespace FastTotem.Transport;

/// <summary>What the transport dropped or failed to send, by reason. Read on the loop thread.</summary>
internal struct TransportCounters
{
    public long DatagramsReceived;
    public long DatagramsSent;
    public long DroppedUnlistedSource;
    public long DroppedTruncated;
    public long SendErrors;
    public long SendQueueFull;
    public long ReceiveErrors;

    /// <summary>sendmmsg calls.</summary>
    public long SendCalls;

    /// <summary>recvmmsg calls.</summary>
    public long ReceiveCalls;

    /// <summary>GSO sends (one buffer, several datagrams to one peer).</summary>
    public long GsoSends;

    /// <summary>GSO buffers the kernel refused, sent again datagram by datagram.</summary>
    public long GsoFallbacks;

    /// <summary>Received buffers that GRO had coalesced from several datagrams.</summary>
    public long GroBuffers;

    /// <summary>Datagrams of a GRO buffer beyond what one receive batch can hand over (never expected).</summary>
    public long DroppedGroOverflow;

    /// <summary>GSO or GRO asked for and refused by the kernel at start (the transport runs without it).</summary>
    public long OffloadProbeFailures;
}
