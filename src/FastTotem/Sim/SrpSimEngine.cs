using FastTotem.Protocol.Srp;

namespace FastTotem.Sim;

/// <summary>Runs the real <see cref="SrpEngine"/> inside the simulator.</summary>
public sealed class SrpSimEngine : SrpBackedSimEngine
{
    public SrpSimEngine(SrpEngine engine)
        : base(engine)
    {
    }

    /// <summary>The default factory: corosync's timer derivation from the options' token and coefficient.</summary>
    public static ISimEngine Create(uint nodeId, uint[] nodeList, SimRingSeqMemory seqStore, SimOptions options)
    {
        SrpConfig config = SrpConfig.CorosyncDefaults(nodeId, nodeList, options.TokenMs, options.TokenCoefficientMs);
        return new SrpSimEngine(new SrpEngine(config, new SrpRingSeqStore(seqStore)));
    }

    public override bool TryMulticast(ReadOnlySpan<byte> totempgPayload) => Engine.TryMulticast(totempgPayload) == MulticastResult.Ok;

    public override void DrainEvents(ISimEventSink sink)
    {
        while (Engine.PollEvent(out SrpEvent ev))
        {
            if (ev.Kind == SrpEventKind.Deliver)
            {
                sink.OnDeliver(ev.SenderNodeId, ev.Payload);
            }
            else if (ev.Kind == SrpEventKind.ConfigChange)
            {
                if (ev.ConfigKind == ConfigChangeKind.Regular)
                {
                    // The plain SRP ring has no synchronisation to wait for: acknowledge at once, so what was queued
                    // on the regular lane before the change is sent from the next token on.
                    Engine.TransAck(ev.RingId);
                }

                sink.OnConfigChange(
                    ev.ConfigKind == ConfigChangeKind.Regular ? SimConfigKind.Regular : SimConfigKind.Transitional,
                    ev.RingId, ev.Members, ev.Left, ev.Joined);
            }
        }
    }
}
