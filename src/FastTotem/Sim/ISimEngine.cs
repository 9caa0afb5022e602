namespace FastTotem.Sim;

/// <summary>
/// What the simulator needs from a node's protocol engine: the sans-I/O Handle*/Poll* surface of SrpEngine, with
/// events handed to a sink so the simulator stays independent of the engine's ref-struct event type. The real
/// engine is plugged in by <see cref="SrpSimEngine"/>; tests may plug in scripted fakes.
/// </summary>
public interface ISimEngine
{
    void Start(long nowNs);
    /// <summary>A datagram from the node whose id is <paramref name="transmitter"/> (the engine binds identity to it).</summary>
    void HandleDatagram(ReadOnlySpan<byte> datagram, uint transmitter, long nowNs);
    void HandleTimeout(long nowNs);
    /// <summary>True when the engine accepted the payload for multicast.</summary>
    bool TryMulticast(ReadOnlySpan<byte> totempgPayload);
    bool PollTransmit(Span<byte> buffer, out int length, out uint destination);
    long PollTimeout();
    /// <summary>Hands every pending event to the sink, in order.</summary>
    void DrainEvents(ISimEventSink sink);
    /// <summary>A short state name for traces (OPERATIONAL, GATHER, ...).</summary>
    string StateName { get; }
}
