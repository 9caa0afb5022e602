namespace FastTotem;

/// <summary>Which side of the protocol thread failed.</summary>
public enum NodeFaultKind
{
    /// <summary>An event handler threw; the exception was caught and the node carries on.</summary>
    Handler,

    /// <summary>A bug inside the node: it left the ring and stopped.</summary>
    Protocol,

    /// <summary>
    /// A group delivery found no consumer (protocol-thread mode without a delivery handler): counted in
    /// <see cref="ProcessGroup.UnconsumedDeliveries"/>; reported once per group. The node carries on.
    /// </summary>
    UnconsumedDelivery,
}

/// <summary>An exception caught on the protocol thread, with what it interrupted.</summary>
/// <param name="Kind">A handler's, the node's own, or a delivery nobody consumed.</param>
/// <param name="Message">Which node, which handler or what it was doing, and the exception's message.</param>
/// <param name="Exception">The exception.</param>
public sealed record NodeFault(NodeFaultKind Kind, string Message, Exception Exception);
