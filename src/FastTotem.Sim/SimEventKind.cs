namespace FastTotem.Sim;

/// <summary>What a queued <see cref="SimEvent"/> does when its time comes.</summary>
internal enum SimEventKind : byte
{
    /// <summary>A datagram reaches a node's socket buffer.</summary>
    Arrival,
    /// <summary>A node's loop reads a batch from its socket buffer (recvmmsg) and steps.</summary>
    Read,
    /// <summary>A node's engine deadline (PollTimeout) is due.</summary>
    Timer,
    /// <summary>A node's application multicasts its next message.</summary>
    AppSend,
    /// <summary>A step of the random fault schedule.</summary>
    RandomFault,
    /// <summary>A step of the later faults' schedule (clocks, pauses, one-way links, per-type bursts, replays).</summary>
    ChaosFault,
    /// <summary>A scripted action (tests, scenarios).</summary>
    Action,
}
