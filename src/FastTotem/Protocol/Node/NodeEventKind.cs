namespace FastTotem.Protocol.Node;

/// <summary>What a <see cref="NodeEvent"/> reports.</summary>
public enum NodeEventKind : byte
{
    /// <summary>An SRP delivery, only from a machine without services (with services, deliveries go to totempg groups).</summary>
    Deliver,

    /// <summary>A transitional or regular configuration change of the ring.</summary>
    ConfigChange,

    /// <summary>Every service finished synchronising on <see cref="NodeEvent.RingId"/> (services only).</summary>
    SyncComplete,

    /// <summary>The engine entered GATHER (the ring is re-forming) for <see cref="NodeEvent.GatherReason"/>.</summary>
    GatherEntered,

    /// <summary>
    /// The machine hit a bug (an exception inside it); it left the ring and takes no more input. Only
    /// <see cref="NodeLoop.Step{TIo}"/> reports it, through <see cref="INodeIo.OnFault"/>.
    /// </summary>
    Fault,
}
