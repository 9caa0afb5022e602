using FastTotem.Hosting;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Sim;
using FastTotem.Wire;

namespace FastTotem.Simulation;

/// <summary>
/// A simulator node running the whole live stack (<see cref="NodeStack"/>: SRP, totempg with its two lanes, sync v2,
/// cmap/cpg/quorum/votequorum) exactly as <see cref="TotemNode"/> wires it, minus sockets. The simulator's application
/// messages travel on totempg group "sim", and the application may send exactly when CPG would take a local process's
/// mcast (<see cref="Protocol.Cpg.CpgService.AcceptsLocalRequests"/>: not during a synchronisation, where corosync
/// answers TRY_AGAIN), so the messages it queued before a ring change wait on the regular lane.
/// </summary>
internal sealed class NodeStackSimEngine : SrpBackedSimEngine, INodeListener, IPgGroupHandler
{
    private static readonly PgGroupSet SimGroup = new("sim"u8);
    private readonly NodeStack _stack;
    private ISimEventSink? _sink;

    public NodeStackSimEngine(SrpEngine engine, uint nodeId, uint[] nodeList)
        : base(engine)
    {
        _stack = new NodeStack(engine, VotequorumConfig.FromNodelist(nodeId, nodeList, nodeList.Select(_ => 1u).ToArray()), this);
        _stack.JoinGroup("sim"u8, this);
    }

    public int SyncsCompleted { get; private set; }

    public PgAssembler Assembler => _stack.Assembler;

    public override void Start(long nowNs)
    {
        Engine.Start(nowNs);
        _stack.OnIdle(Engine, nowNs);
    }

    public override bool TryMulticast(ReadOnlySpan<byte> totempgPayload) =>
        _stack.Cpg.AcceptsLocalRequests && Engine.SendQueueCount < 64 && _stack.TrySend(SimGroup, totempgPayload) == PgSendResult.Queued;

    public override void DrainEvents(ISimEventSink sink)
    {
        _sink = sink;
        while (Engine.PollEvent(out SrpEvent ev))
        {
            _stack.OnEvent(in ev);
            if (ev.Kind == SrpEventKind.ConfigChange)
            {
                sink.OnConfigChange(ev.ConfigKind == ConfigChangeKind.Regular ? SimConfigKind.Regular : SimConfigKind.Transitional,
                    ev.RingId, ev.Members, ev.Left, ev.Joined);
            }
        }

        // The loop's idle work: services, sync, the outbox and the packers (RingDriver calls it after every input).
        _stack.OnIdle(Engine, 0);
        _sink = null;
    }

    public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => _sink?.OnDeliver(nodeId, payload);

    public void OnConfigChange(in SrpEvent ev)
    {
    }

    public void OnSyncComplete(MembRingId ringId) => SyncsCompleted++;
}
