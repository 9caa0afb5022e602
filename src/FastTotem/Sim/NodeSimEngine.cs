using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;

namespace FastTotem.Sim;

/// <summary>
/// A simulated node running the whole node machine a live <c>TotemNode</c> runs (SRP, totempg with its two lanes,
/// sync v2, cmap/cpg/quorum/votequorum), minus sockets. The application's messages travel on totempg group "sim", and
/// the application may send exactly when CPG would take a local process's mcast (not during a synchronisation, where
/// corosync answers TRY_AGAIN), so the messages it queued before a ring change wait on the regular lane.
/// </summary>
public sealed class NodeSimEngine : MachineSimEngine, IPgGroupHandler
{
    private static readonly PgGroupSet SimGroup = new("sim"u8);

    public NodeSimEngine(SrpEngine engine, uint nodeId, uint[] nodeList)
        : base(new NodeMachine(engine, VotequorumConfig.FromNodelist(nodeId, nodeList, Ones(nodeList.Length))))
    {
        Machine.JoinGroup("sim"u8, this);
    }

    /// <summary>The whole-stack factory (<c>fasttotem sim</c> and the sweeps): corosync's timers from the options.</summary>
    public static ISimEngine Create(uint nodeId, uint[] nodeList, SimRingSeqMemory seqStore, SimOptions options)
    {
        SrpConfig config = SrpConfig.CorosyncDefaults(nodeId, nodeList, options.TokenMs, options.TokenCoefficientMs);
        return new NodeSimEngine(new SrpEngine(config, new SrpRingSeqStore(seqStore)), nodeId, nodeList);
    }

    public int SyncsCompleted { get; private set; }

    public PgAssembler Assembler => Machine.Assembler;

    public override bool TryMulticast(ReadOnlySpan<byte> totempgPayload) =>
        Machine.Cpg.AcceptsLocalRequests && Engine.SendQueueCount < 64 && Machine.TrySend(SimGroup, totempgPayload) == PgSendResult.Queued;

    public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Sink?.OnDeliver(nodeId, payload);

    protected override void OnEvent(in NodeEvent ev, ISimEventSink sink)
    {
        if (ev.Kind == NodeEventKind.ConfigChange)
        {
            ReportConfigChange(in ev, sink);
        }
        else if (ev.Kind == NodeEventKind.SyncComplete)
        {
            SyncsCompleted++;
        }
    }

    private static uint[] Ones(int count)
    {
        var votes = new uint[count];
        Array.Fill(votes, 1u);
        return votes;
    }
}
