using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;

namespace FastTotem.Sim;

/// <summary>Runs an SRP-only <see cref="NodeMachine"/> inside the simulator: the application's payloads are SRP's.</summary>
internal sealed class SrpSimEngine : MachineSimEngine
{
    public SrpSimEngine(SrpEngine engine)
        : base(new NodeMachine(engine))
    {
    }

    /// <summary>The SRP-only factory: corosync's timer derivation from the options' token and coefficient.</summary>
    public static ISimEngine Create(uint nodeId, uint[] nodeList, SimRingSeqMemory seqStore, SimOptions options)
    {
        SrpConfig config = SrpConfig.CorosyncDefaults(nodeId, nodeList, options.TokenMs, options.TokenCoefficientMs);
        return new SrpSimEngine(new SrpEngine(config, new SrpRingSeqStore(seqStore)));
    }

    public override bool TryMulticast(ReadOnlySpan<byte> totempgPayload) => Machine.TryMulticast(totempgPayload) == SendResult.Ok;

    protected override void OnEvent(in NodeEvent ev, ISimEventSink sink)
    {
        if (ev.Kind == NodeEventKind.Deliver)
        {
            sink.OnDeliver(ev.SenderNodeId, ev.Payload);
            return;
        }

        if (ev.Kind == NodeEventKind.ConfigChange)
        {
            if (ev.ConfigKind == ConfigChangeKind.Regular)
            {
                // The plain SRP ring has no synchronisation to wait for: acknowledge at once, so what was queued
                // on the regular lane before the change is sent from the next token on.
                Engine.TransAck(ev.RingId);
            }

            ReportConfigChange(in ev, sink);
        }
    }
}
