using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>One simulated node: its current engine (null while crashed), partition group and application counter.</summary>
public sealed class SimNode : ISimNodeIo
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

    public override string ToString() => $"n{NodeId}{(Up ? "" : " (down)")} {Engine?.StateName}";
}
