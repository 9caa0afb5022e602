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
internal sealed class NodeStackSimEngine : ISimEngine, INodeListener, IPgGroupHandler
{
    private static readonly PgGroupSet SimGroup = new("sim"u8);
    private readonly SrpEngine _engine;
    private readonly NodeStack _stack;
    private ISimEventSink? _sink;

    public NodeStackSimEngine(SrpEngine engine, uint nodeId, uint[] nodeList)
    {
        _engine = engine;
        _stack = new NodeStack(engine, VotequorumConfig.FromNodelist(nodeId, nodeList, nodeList.Select(_ => 1u).ToArray()), this);
        _stack.JoinGroup("sim"u8, this);
    }

    public string StateName => _engine.State.ToString().ToUpperInvariant();

    public int SyncsCompleted { get; private set; }

    public PgAssembler Assembler => _stack.Assembler;

    public void Start(long nowNs)
    {
        _engine.Start(nowNs);
        _stack.OnIdle(_engine, nowNs);
    }

    public void HandleDatagram(ReadOnlySpan<byte> datagram, long nowNs) => _engine.HandleDatagram(datagram, nowNs);

    public void HandleTimeout(long nowNs) => _engine.HandleTimeout(nowNs);

    public bool TryMulticast(ReadOnlySpan<byte> totempgPayload) =>
        _stack.Cpg.AcceptsLocalRequests && _engine.SendQueueCount < 64 && _stack.TrySend(SimGroup, totempgPayload) == PgSendResult.Queued;

    public bool PollTransmit(Span<byte> buffer, out int length, out uint destination)
    {
        bool any = _engine.PollTransmit(buffer, out TransmitInfo info);
        length = info.Length;
        destination = info.Destination;
        return any;
    }

    public long PollTimeout() => _engine.PollTimeout();

    public void DrainEvents(ISimEventSink sink)
    {
        _sink = sink;
        while (_engine.PollEvent(out SrpEvent ev))
        {
            _stack.OnEvent(in ev);
            if (ev.Kind != SrpEventKind.Deliver)
            {
                sink.OnConfigChange(ev.ConfigKind == ConfigChangeKind.Regular ? SimConfigKind.Regular : SimConfigKind.Transitional,
                    ev.RingId, ev.Members, ev.Left, ev.Joined);
            }
        }

        // The loop's idle work: services, sync, the outbox and the packers (RingDriver calls it after every input).
        _stack.OnIdle(_engine, 0);
        _sink = null;
    }

    public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => _sink?.OnDeliver(nodeId, payload);

    public void OnConfigChange(in SrpEvent ev)
    {
    }

    public void OnSyncComplete(MembRingId ringId) => SyncsCompleted++;
}
