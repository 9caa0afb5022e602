namespace FastTotem;

/// <summary>
/// Everything a node dropped, by layer and reason, for the host (docs/robustness.md). A snapshot read from the loop
/// thread's counters while it runs: each value is exact, the set is not taken at one instant.
/// </summary>
public readonly record struct NodeDropCounters
{
    /// <summary>Datagrams the transport dropped: truncated, or from an address outside the nodelist (block_unlisted_ips).</summary>
    public long TransportDrops { get; init; }

    /// <summary>Malformed SRP datagrams (truncated, bad magic/version/type/length, too large).</summary>
    public long SrpMalformed { get; init; }

    /// <summary>Messages in another node's name than the address they came from, or mcasts from outside their ring.</summary>
    public long SrpMisattributed { get; init; }

    /// <summary>Messages naming nodeids outside the nodelist, or sent from an address outside it.</summary>
    public long SrpUnlisted { get; init; }

    /// <summary>Tokens and commit tokens this ring cannot have produced; joins whose ring seq was a poisoning.</summary>
    public long SrpImpossible { get; init; }

    /// <summary>totempg payloads dropped: malformed, oversize, no slot, or from a non-member.</summary>
    public long TotempgDrops { get; init; }

    /// <summary>CPG messages dropped (malformed, unknown sender or function, full tables, partial messages) and CPG
    /// events (deliveries, confchgs) lost because its event queue was full.</summary>
    public long CpgDrops { get; init; }

    /// <summary>votequorum nodeinfo dropped: malformed, misattributed, unlisted, full table.</summary>
    public long VotequorumDrops { get; init; }

    /// <summary>
    /// Membership and synchronisation events (configuration changes, sync completions, gather reports) the node's
    /// event queue could not keep. Sync messages themselves are never dropped: the node hands one to totempg only
    /// when its queue has room for the message however it is fragmented.
    /// </summary>
    public long SyncDrops { get; init; }

    /// <summary>
    /// Group deliveries that found no consumer: a group in <see cref="DeliveryMode.ProtocolThread"/> mode without a
    /// delivery handler (<see cref="ProcessGroup.UnconsumedDeliveries"/>, summed over the node's groups).
    /// </summary>
    public long UnconsumedDeliveries { get; init; }

    /// <summary>Group deliveries that could never fit the group's delivery slab, or arrived after the group was left
    /// while its slab was full (<see cref="ProcessGroup.DeliveryOverruns"/>, summed over the node's groups).</summary>
    public long DeliveryOverruns { get; init; }

    /// <summary>Messages a host had queued (its send returned Ok) that CPG then refused (the group closed under them).</summary>
    public long SendsRefusedAfterQueueing { get; init; }

    /// <summary>Ring changes at which held service traffic did not all fit its queue, so one sender's order was not
    /// kept across that change (nothing was lost).</summary>
    public long HeldTrafficOverflows { get; init; }
}
