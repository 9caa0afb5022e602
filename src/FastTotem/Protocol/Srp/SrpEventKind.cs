namespace FastTotem.Protocol.Srp;

internal enum SrpEventKind
{
    /// <summary>A message delivered in agreed order.</summary>
    Deliver,

    /// <summary>A configuration change (transitional or regular).</summary>
    ConfigChange,

    /// <summary>
    /// The engine entered GATHER (a ring is re-forming); <see cref="SrpEvent.GatherReason"/> says why and
    /// <see cref="SrpEvent.RingId"/> is the ring it left. Informational: a full event queue drops it (the counters keep it).
    /// </summary>
    GatherEntered,
}
