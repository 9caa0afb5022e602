using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>One simulated node: its current engine (null while crashed), partition group and application counter.</summary>
internal sealed class SimNode : ISimNodeIo
{
    private readonly Simulator _sim;

    internal SimNode(Simulator sim, int index)
    {
        _sim = sim;
        Index = index;
        NodeId = (uint)index + 1;
    }

    public int Index { get; }
    public uint NodeId { get; }
    public ISimEngine? Engine { get; internal set; }
    public bool Up => Engine != null;
    /// <summary>The history process of the current incarnation (-1 while crashed).</summary>
    public int Process { get; internal set; } = -1;
    public int Incarnation { get; internal set; }
    /// <summary>Nodes talk only within the same group; all 0 when not partitioned.</summary>
    public int Group { get; internal set; }
    /// <summary>The application's message counter; survives restarts so ids stay unique.</summary>
    public uint MessageCounter { get; internal set; }

    /// <summary>The regular configuration this node last reported (null before its first).</summary>
    public MembRingId? RingId { get; private set; }
    public uint[] Members { get; private set; } = [];

    internal long PendingTimerNs = long.MaxValue;

    /// <summary>The node's CLOCK_MONOTONIC: local = base + (global − base) · (10⁶ + ppm) / 10⁶. It belongs to the host and survives restarts.</summary>
    internal long ClockBaseGlobalNs, ClockBaseLocalNs;

    /// <summary>How fast the node's clock runs against the simulator's, in parts per million (negative: slow).</summary>
    public int DriftPpm { get; private set; }

    /// <summary>While the simulator's time is before this, the node's process is paused: it reads, fires and sends nothing.</summary>
    public long PausedUntilNs { get; internal set; }

    /// <summary>What the node's clock reads at simulator time <paramref name="globalNs"/> (never less than at an earlier time).</summary>
    public long LocalTime(long globalNs) =>
        DriftPpm == 0
            ? ClockBaseLocalNs + (globalNs - ClockBaseGlobalNs)
            : ClockBaseLocalNs + (long)((Int128)(globalNs - ClockBaseGlobalNs) * (1_000_000 + DriftPpm) / 1_000_000);

    /// <summary>The first simulator time at which the node's clock reads at least <paramref name="localNs"/> (long.MaxValue stays).</summary>
    public long GlobalTime(long localNs)
    {
        if (localNs == long.MaxValue)
        {
            return long.MaxValue;
        }

        long delta = localNs - ClockBaseLocalNs;
        if (delta <= 0)
        {
            return ClockBaseGlobalNs;
        }

        Int128 scaled = ((Int128)delta * 1_000_000 + (1_000_000 + DriftPpm) - 1) / (1_000_000 + DriftPpm);
        if (scaled > long.MaxValue / 4)
        {
            return long.MaxValue / 4;
        }

        long global = ClockBaseGlobalNs + (long)scaled;
        while (LocalTime(global) < localNs)
        {
            global++;
        }

        return global;
    }

    /// <summary>From <paramref name="globalNs"/> on the clock runs at <paramref name="ppm"/>; it reads on from where it stood.</summary>
    internal void SetClock(long globalNs, int ppm, long localNs)
    {
        ClockBaseGlobalNs = globalNs;
        ClockBaseLocalNs = localNs;
        DriftPpm = ppm;
    }

    /// <summary>The socket buffer: datagrams arrived and not yet read (buffer, length, sender index or -1).</summary>
    internal readonly Queue<(byte[] Buffer, int Length, int From)> ReceiveQueue = new();

    /// <summary>A Read event is queued for this incarnation.</summary>
    internal bool ReadPending;

    /// <summary>The batch handed to the step in progress.</summary>
    internal readonly List<(byte[] Buffer, int Length, int From)> Batch = new(64);

    /// <summary>The incarnation whose step is in progress; a crash during it silences the rest of its sends.</summary>
    internal int SteppingIncarnation;

    internal void ResetForRestart()
    {
        RingId = null;
        Members = [];
        PendingTimerNs = long.MaxValue;
        ReadPending = false;
        PausedUntilNs = 0;
        _sim.ReleaseBuffers(ReceiveQueue);
    }

    public int ReceivedCount => Batch.Count;

    public ReadOnlySpan<byte> Received(int index) => Batch[index].Buffer.AsSpan(0, Batch[index].Length);

    public uint ReceivedFrom(int index) => Batch[index].From < 0 ? 0 : (uint)Batch[index].From + 1;

    public void Send(uint destination, ReadOnlySpan<byte> datagram)
    {
        if (Engine == null || Incarnation != SteppingIncarnation)
        {
            return; // a filter or action crashed the node mid-step
        }

        _sim.Send(this, destination, datagram);
    }

    public void OnDeliver(uint senderNodeId, ReadOnlySpan<byte> payload)
    {
        _sim.Stats.Deliveries++;
        _sim.History.Deliver(_sim.NowNs, Process, senderNodeId, SimPayload.Read(payload));
    }

    public void OnConfigChange(SimConfigKind kind, MembRingId ringId, ReadOnlySpan<uint> members, ReadOnlySpan<uint> left,
        ReadOnlySpan<uint> joined)
    {
        _sim.Stats.ConfigChanges++;
        uint[] memberArray = members.ToArray();
        if (kind == SimConfigKind.Regular)
        {
            _sim.Stats.RegularConfigs++;
            RingId = ringId;
            Members = memberArray;
        }

        _sim.History.ConfigChange(_sim.NowNs, Process, kind, ringId, memberArray, left.ToArray(), joined.ToArray());
    }

    public void OnAcceleratedSync() => _sim.Stats.AcceleratedSyncs++;

    public void OnCpgEvent(bool delivery)
    {
        if (delivery)
        {
            _sim.Stats.CpgDeliveries++;
        }
        else
        {
            _sim.Stats.CpgConfigChanges++;
        }
    }

    public override string ToString() => $"n{NodeId}{(Up ? "" : " (down)")} {Engine?.StateName}";
}
