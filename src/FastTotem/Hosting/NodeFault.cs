namespace FastTotem.Hosting;

/// <summary>Which side of the protocol thread failed.</summary>
public enum NodeFaultKind
{
    /// <summary>An event handler threw; the exception was caught and the node carries on.</summary>
    Handler,

    /// <summary>A bug inside the node: it left the ring and stopped.</summary>
    Protocol,
}

/// <summary>An exception caught on the protocol thread, with what it interrupted.</summary>
/// <param name="Kind">A handler's or the node's own.</param>
/// <param name="Message">Which node, which handler or what it was doing, and the exception's message.</param>
/// <param name="Exception">The exception.</param>
public sealed record NodeFault(NodeFaultKind Kind, string Message, Exception Exception);
