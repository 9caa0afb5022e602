using FastTotem.Protocol.Srp;

namespace FastTotem.Sim;

/// <summary>
/// An <see cref="ISimEngine"/> around a real <see cref="SrpEngine"/>: the datagram, timer and transmit plumbing
/// every such adapter shares. Subclasses decide what a multicast is and what they do with the engine's events.
/// </summary>
public abstract class SrpBackedSimEngine : ISimEngine
{
    protected SrpBackedSimEngine(SrpEngine engine) => Engine = engine;

    public SrpEngine Engine { get; }

    /// <summary>OPERATIONAL, GATHER, COMMIT or RECOVERY.</summary>
    public string StateName => Engine.State switch
    {
        SrpState.Operational => "OPERATIONAL",
        SrpState.Gather => "GATHER",
        SrpState.Commit => "COMMIT",
        _ => "RECOVERY",
    };

    public virtual void Start(long nowNs) => Engine.Start(nowNs);

    public void HandleDatagram(ReadOnlySpan<byte> datagram, uint transmitter, long nowNs) => Engine.HandleDatagram(datagram, transmitter, nowNs);

    public void HandleTimeout(long nowNs) => Engine.HandleTimeout(nowNs);

    public bool PollTransmit(Span<byte> buffer, out int length, out uint destination)
    {
        bool any = Engine.PollTransmit(buffer, out TransmitInfo info);
        length = info.Length;
        destination = info.Destination;
        return any;
    }

    public long PollTimeout() => Engine.PollTimeout();

    public abstract bool TryMulticast(ReadOnlySpan<byte> totempgPayload);

    public abstract void DrainEvents(ISimEventSink sink);
}
