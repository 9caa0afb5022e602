namespace FastTotem.Sim;

/// <summary>What a queued <see cref="SimEvent"/> does when its time comes.</summary>
internal enum SimEventKind : byte
{
    /// <summary>A datagram reaches a node.</summary>
    Arrival,
    /// <summary>A node's engine deadline (PollTimeout) is due.</summary>
    Timer,
    /// <summary>A node's application multicasts its next message.</summary>
    AppSend,
    /// <summary>A step of the random fault schedule.</summary>
    RandomFault,
    /// <summary>A scripted action (tests, scenarios).</summary>
    Action,
}

/// <summary>
/// One entry of the simulator's event queue. Events addressed to a node carry the node's incarnation, so anything
/// queued for a process that has since crashed is dropped when it comes due.
/// </summary>
internal struct SimEvent
{
    public SimEventKind Kind;
    public int Node;
    public int Incarnation;
    public int FromNode;
    public int Length;
    public byte[]? Buffer;
    public Action<Simulator>? Action;
}

/// <summary>Queue order: virtual time, then insertion sequence, so equal times pop in a reproducible order.</summary>
internal readonly record struct SimEventKey(long TimeNs, long Sequence) : IComparable<SimEventKey>
{
    public int CompareTo(SimEventKey other)
    {
        int c = TimeNs.CompareTo(other.TimeNs);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}
