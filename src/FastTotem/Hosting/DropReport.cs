namespace FastTotem;

/// <summary>What a node lost that a host sent or should have received (<see cref="DropReport"/>).</summary>
public enum DropReason
{
    /// <summary>Deliveries or membership changes CPG's event queue had no room for (a host stalled longer than it
    /// holds); each member that lost some is also told where, through <see cref="ProcessGroup.EventsLost"/>.</summary>
    CpgEventQueueFull,

    /// <summary>Deliveries to a group in <see cref="DeliveryMode.ProtocolThread"/> mode without a delivery handler.</summary>
    UnconsumedDelivery,

    /// <summary>Deliveries that can never fit a group's delivery slab, or that arrived after the group was left while
    /// its slab was full (<see cref="ProcessGroup.DeliveryOverruns"/>).</summary>
    DeliveryOverrun,

    /// <summary>Messages a host had queued (its send returned Ok) that CPG then refused, for instance because the
    /// group was closed under them.</summary>
    SendRefusedAfterQueueing,

    /// <summary>Ring changes at which the held service traffic did not all fit its queue: nothing was lost, but what
    /// did not fit went out ahead of the held messages, so one sender's order was not kept across that change.</summary>
    HeldTrafficOverflow,

    /// <summary>Membership and synchronisation events (configuration changes, sync completions) the node's event
    /// queue could not keep.</summary>
    NodeEventQueueFull,
}

/// <summary>
/// A report of what a node lost for one <see cref="DropReason"/>: at most one per reason per second, carrying the count
/// since the previous report of that reason, so a flood of drops (an attacker's, or a stalled host's) becomes one
/// event a second, never one per drop.
/// </summary>
/// <param name="Reason">What was lost, and where.</param>
/// <param name="Count">How many since the previous report of this reason (at least 1).</param>
/// <param name="Total">How many since the node started.</param>
public readonly record struct DropReport(DropReason Reason, long Count, long Total);
