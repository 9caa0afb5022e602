namespace FastTotem;

/// <summary>
/// The outcome of every send path: <see cref="ProcessGroup.TryMulticast"/> and <see cref="ProcessGroup.MulticastAsync"/>,
/// and inside the node the SRP engine's, totempg's and CPG's own queues (the C API maps it to its FT_ERR_* codes).
/// </summary>
[BaseLayer]
public enum SendResult
{
    /// <summary>Queued for the ring; it will be delivered in agreed order to every member of the group.</summary>
    Ok,

    /// <summary>Back-pressure: the send queue is full (or the ring is synchronising). Nothing was queued; try again shortly.</summary>
    TryAgain,

    /// <summary>The message is larger than the path takes (for a group, <see cref="ProcessGroupOptions.MaxMessageSize"/>).</summary>
    TooLarge,

    /// <summary>The group was left, the node stopped, or the engine is not running.</summary>
    Closed,
}
