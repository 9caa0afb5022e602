namespace FastTotem.Hosting;

/// <summary>
/// The figures the protocol thread keeps for metrics beyond the engine's own counters: application messages and
/// bytes sent and delivered, membership changes, token rotation time and the delivery latency of this node's own
/// messages. Written on the loop thread only (plain stores through Volatile), read by collectors at any time.
/// </summary>
internal sealed class NodeMetricsState
{
    /// <summary>Own messages whose send time is remembered for the latency histogram; more in flight are not sampled.</summary>
    public const int SendStampCapacity = 4096;

    public long MessagesSent;
    public long BytesSent;
    public long MessagesDelivered;
    public long BytesDelivered;
    public long MembershipChanges;

    /// <summary>Own messages sent while <see cref="SendStampCapacity"/> were already in flight (not sampled).</summary>
    public long LatencyNotSampled;

    public readonly Log2Histogram TokenRotation = new();
    public readonly Log2Histogram DeliveryLatency = new();

    private readonly long[] _stampNs = new long[SendStampCapacity];
    private readonly int[] _stampHandle = new int[SendStampCapacity];
    private long _stampHead;
    private long _stampTail;
    private long _lastTokens;
    private long _lastTokenNs;

    /// <summary>A message of local group <paramref name="handle"/> went to CPG at <paramref name="nowNs"/>.</summary>
    public void OnSent(int handle, int bytes, long nowNs)
    {
        Volatile.Write(ref MessagesSent, MessagesSent + 1);
        Volatile.Write(ref BytesSent, BytesSent + bytes);
        if (_stampTail - _stampHead >= SendStampCapacity)
        {
            LatencyNotSampled++;
            return;
        }

        int slot = (int)(_stampTail % SendStampCapacity);
        _stampNs[slot] = nowNs;
        _stampHandle[slot] = handle;
        _stampTail++;
    }

    /// <summary>
    /// A delivery was handed to local group <paramref name="handle"/>; <paramref name="own"/> when it is that group's
    /// own message. This node's messages are delivered in the order they were sent, so the oldest stamp is its send
    /// time; a stamp of another group first means a message never came back (its group left): the stamps restart.
    /// </summary>
    public void OnDelivered(int handle, int bytes, bool own, long nowNs)
    {
        Volatile.Write(ref MessagesDelivered, MessagesDelivered + 1);
        Volatile.Write(ref BytesDelivered, BytesDelivered + bytes);
        if (!own || _stampHead == _stampTail)
        {
            return;
        }

        int slot = (int)(_stampHead % SendStampCapacity);
        if (_stampHandle[slot] != handle)
        {
            _stampHead = _stampTail;
            return;
        }

        _stampHead++;
        DeliveryLatency.Record(nowNs - _stampNs[slot]);
    }

    /// <summary>Once per loop step: the tokens received since the last step, and when.</summary>
    public void OnStep(long tokensReceived, long nowNs)
    {
        if (tokensReceived == _lastTokens)
        {
            return;
        }

        if (_lastTokenNs != 0)
        {
            TokenRotation.Record((nowNs - _lastTokenNs) / (tokensReceived - _lastTokens));
        }

        _lastTokens = tokensReceived;
        _lastTokenNs = nowNs;
    }

    public void OnMembershipChange() => Volatile.Write(ref MembershipChanges, MembershipChanges + 1);
}
