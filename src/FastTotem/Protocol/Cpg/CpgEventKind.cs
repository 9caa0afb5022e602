namespace FastTotem.Protocol.Cpg;

internal enum CpgEventKind : byte
{
    /// <summary>A group message for one local process (MESSAGE_RES_CPG_DELIVER_CALLBACK).</summary>
    Deliver,

    /// <summary>A group membership change for one local process (MESSAGE_RES_CPG_CONFCHG_CALLBACK).</summary>
    ConfigChange,

    /// <summary>The ring changed and CPG's sync completed (MESSAGE_RES_CPG_TOTEM_CONFCHG_CALLBACK), for every local process.</summary>
    TotemConfigChange,

    /// <summary>
    /// Events for this local process were lost where this event stands (CPG's event queue was full):
    /// <see cref="CpgEvent.LostCount"/> deliveries or confchgs are missing between the previous event and the next.
    /// corosync queues without bound instead; FastTotem's queue is bounded, so it says what it lost and where.
    /// </summary>
    EventsLost,
}
