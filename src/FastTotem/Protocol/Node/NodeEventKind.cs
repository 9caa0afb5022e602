namespace FastTotem.Protocol.Node;

/// <summary>What a <see cref="NodeEvent"/> reports.</summary>
internal enum NodeEventKind : byte
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
    /// A daemon multicast cfg's CRYPTO_RECONFIG phase 1 (<see cref="NodeEvent.SenderNodeId"/>): the cluster switches to
    /// a new authkey or crypto setting now, which FastTotem does not follow (docs/knet.md §10). Services only.
    /// </summary>
    CryptoReconfigure,

    /// <summary>
    /// The machine hit a bug (an exception inside it); it left the ring and takes no more input. Only
    /// <see cref="NodeLoop.Step{TIo}"/> reports it, through <see cref="INodeIo.OnFault"/>.
    /// </summary>
    Fault,
}
