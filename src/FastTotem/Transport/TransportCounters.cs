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
}
