using FastTotem.Protocol.Cpg;
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
internal sealed class NodeSimEngine : MachineSimEngine, IPgGroupHandler
{
    private static readonly PgGroupSet SimGroup = new("sim"u8);

    private static readonly byte[] CpgGroup = "simcpg"u8.ToArray();

    /// <summary>A CPG process leaves its group (and joins again) after this many of its multicasts.</summary>
    private const int CpgSendsPerMembership = 40;

    private readonly bool _cpgTraffic;
    private int _cpgHandle = -1;
    private int _cpgSends;

    public NodeSimEngine(SrpEngine engine, uint nodeId, uint[] nodeList, bool cpgTraffic = false)
        : base(new NodeMachine(engine, VotequorumConfig.FromNodelist(nodeId, nodeList, Ones(nodeList.Length))))
    {
        _cpgTraffic = cpgTraffic;
        Machine.JoinGroup("sim"u8, this);
    }

    /// <summary>The whole-stack factory (<c>fasttotem sim</c> and the sweeps): corosync's timers from the options.</summary>
    public static ISimEngine Create(uint nodeId, uint[] nodeList, SimRingSeqMemory seqStore, SimOptions options)
    {
        SrpConfig config = SrpConfig.CorosyncDefaults(nodeId, nodeList, options.TokenMs, options.TokenCoefficientMs)
            with { Accelerated = options.Accelerated };
        return new NodeSimEngine(new SrpEngine(config, new SrpRingSeqStore(seqStore)), nodeId, nodeList, options.CpgTraffic);
    }

    /// <summary>CPG messages this node's process multicast, and those it delivered (background CPG traffic only).</summary>
    public long CpgMulticasts { get; private set; }

    public long CpgDeliveries { get; private set; }

    public int SyncsCompleted { get; private set; }

    public PgAssembler Assembler => Machine.Assembler;

    public override bool TryMulticast(ReadOnlySpan<byte> totempgPayload)
    {
        bool accepted = Machine.Cpg.AcceptsLocalRequests && Engine.SendQueueCount < 64 && Machine.TrySend(SimGroup, totempgPayload) == SendResult.Ok;
        if (accepted && _cpgTraffic && _cpgHandle >= 0)
        {
            // The same bytes through CPG too: its join/leave, mcast, sync and confchg paths run under every fault.
            if (Machine.Cpg.TryMcast(_cpgHandle, totempgPayload) == SendResult.Ok)
            {
                CpgMulticasts++;
            }

            if (++_cpgSends % CpgSendsPerMembership == 0 && Machine.Cpg.Leave(_cpgHandle) == CpgResult.Ok)
            {
                _cpgHandle = -1; // joins again once the leave came back
            }
        }

        return accepted;
    }

    /// <summary>
    /// Background CPG traffic: one process per node joins group "simcpg" once CPG takes local requests, and reads its
    /// events. A delivered message must carry an application id whose node is the sender CPG names.
    /// </summary>
    protected override void AfterStep(ISimEventSink sink)
    {
        if (!_cpgTraffic)
        {
            return;
        }

        CpgService cpg = Machine.Cpg;
        while (cpg.PollEvent(out CpgEvent ev))
        {
            if (ev.Kind == CpgEventKind.Deliver)
            {
                MessageId id = SimPayload.Read(ev.Data);
                if (!id.IsValid || id.Node != ev.NodeId)
                {
                    Invariant.ThrowInvalidOperation($"n{Machine.NodeId}: CPG delivered {id} from n{ev.NodeId}");
                }

                CpgDeliveries++;
            }

            sink.OnCpgEvent(delivery: ev.Kind == CpgEventKind.Deliver);
        }

        if (_cpgHandle < 0 && cpg.AcceptsLocalRequests && cpg.Join(CpgGroup, Machine.NodeId, out int handle) == CpgResult.Ok)
        {
            _cpgHandle = handle;
        }
    }

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
            if (ev.Accelerated)
            {
                sink.OnAcceleratedSync();
            }
        }
    }

    private static uint[] Ones(int count)
    {
        var votes = new uint[count];
        Array.Fill(votes, 1u);
        return votes;
    }
}
