namespace FastTotem.Cli.Bench;

/// <summary>
/// What a receiver counts inside the measured window: deliveries, bytes, one-way latency, and per-sender sequence
/// gaps and reorders. Everything is preallocated; <see cref="OnDeliver"/> allocates nothing.
/// </summary>
internal sealed class DeliveryStats
{
    private const int SenderMax = 64;

    private readonly ulong[] _senderKey = new ulong[SenderMax];
    private readonly ulong[] _senderNext = new ulong[SenderMax];
    private int _senderCount;
    private long _windowStartNs = long.MaxValue;
    private long _windowEndNs = long.MaxValue;

    public LatencyHistogram Latency { get; } = new();

    /// <summary>With FTB_TRACE set: (seq, sent, delivered) of the first deliveries, for diagnosing stalls.</summary>
    public long[]? Trace = Environment.GetEnvironmentVariable("FTB_TRACE") != null ? new long[3 * 200_000] : null;

    private int _traced;

    public int Traced => _traced;

    public long Delivered;
    public long Bytes;
    public long DeliveredTotal;
    public long Gaps;
    public long Reorders;
    public long Foreign;

    public void SetWindow(long startNs, long endNs)
    {
        Volatile.Write(ref _windowEndNs, endNs);
        Volatile.Write(ref _windowStartNs, startNs);
    }

    /// <summary>One delivery at <paramref name="nowNs"/>; cached as a delegate by the caller, so no allocation here.</summary>
    public void OnDeliver(uint nodeId, uint pid, ReadOnlySpan<byte> data, long nowNs)
    {
        DeliveredTotal++;
        if (!ProbeMessage.TryRead(data, out ulong seq, out long sentNs))
        {
            Foreign++;
            return;
        }

        ulong key = (ulong)nodeId << 32 | pid;
        int slot = -1;
        for (int i = 0; i < _senderCount; i++)
        {
            if (_senderKey[i] == key)
            {
                slot = i;
                break;
            }
        }

        if (slot < 0 && _senderCount < SenderMax)
        {
            slot = _senderCount++;
            _senderKey[slot] = key;
            _senderNext[slot] = 1;
        }

        if (slot >= 0)
        {
            ulong next = _senderNext[slot];
            if (seq > next)
            {
                Gaps += (long)(seq - next);
            }
            else if (seq < next)
            {
                Reorders++;
            }

            if (seq >= next)
            {
                _senderNext[slot] = seq + 1;
            }
        }

        if (Trace != null && _traced < Trace.Length / 3)
        {
            Trace[_traced * 3] = (long)seq;
            Trace[_traced * 3 + 1] = sentNs;
            Trace[_traced * 3 + 2] = nowNs;
            _traced++;
        }

        if (nowNs >= Volatile.Read(ref _windowStartNs) && nowNs < _windowEndNs)
        {
            Delivered++;
            Bytes += data.Length;
            Latency.Record(nowNs - sentNs);
        }
    }
}
