using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Srp;
using FastTotem.Protocol.Sync;
using FastTotem.Sim;
using FastTotem.Wire;

namespace FastTotem.Simulation;

/// <summary>
/// A simulator node running the real stack above SRP: totempg (packer, assembler, groups) and the sync v2 engine
/// with scripted services that record every call. The simulator's own application messages travel as messages of
/// totempg group "sim", so the Totem checker still sees them; sync runs on group "sync" underneath, through the
/// same loss, partitions and crashes. The SRP engine runs in an SRP-only <see cref="NodeMachine"/> stepped by the
/// production loop; totempg and sync sit on top as the host's work.
/// </summary>
internal sealed class SyncSimEngine : MachineSimEngine, IPgGroupHandler, IHostWork
{
    private static readonly PgGroupSet SimGroup = new("sim"u8);
    private readonly PgPacker _packer;
    private readonly PgAssembler _assembler = new(32);
    private readonly PgGroups _groups = new();
    private readonly SyncEngine _sync = new();
    private readonly byte[] _scratch = new byte[70_000];

    public SyncSimEngine(SrpEngine engine, uint nodeId, IReadOnlyList<int> serviceIds, int processCalls, List<string> trace)
        : base(new NodeMachine(engine))
    {
        Machine.HostWork = this;
        _packer = new PgPacker(engine.MaxPayload);
        Trace = trace;
        foreach (int id in serviceIds)
        {
            _sync.RegisterService(id, new TraceService(id, processCalls, trace, () => _sync.RingId), $"svc{id}");
        }

        _groups.Join(_groups.AddInstance(_sync), "sync"u8);
        _groups.Join(_groups.AddInstance(this), "sim"u8);
        // The engine pulls this packer's payloads on every token visit. Nothing here acknowledges a synchronisation
        // to the engine, so its default lane, where TryMulticast puts the rest, stays the transitional one.
        Machine.HostPacker = _packer;
        Machine.HostPackerLane = SendLane.Transitional;
        NodeId = nodeId;
    }

    public uint NodeId { get; }

    public List<string> Trace { get; }

    public override bool TryMulticast(ReadOnlySpan<byte> totempgPayload)
    {
        bool ok = _packer.TrySend(SimGroup, totempgPayload) == SendResult.Ok;
        DrainPacker();
        return ok;
    }

    protected override void OnEvent(in NodeEvent ev, ISimEventSink sink)
    {
        if (ev.Kind == NodeEventKind.Deliver)
        {
            _assembler.HandlePacket(ev.SenderNodeId, ev.Payload, ev.ForeignEndian, _groups);
            return;
        }

        if (ev.Kind != NodeEventKind.ConfigChange)
        {
            return;
        }

        bool regular = ev.ConfigKind == ConfigChangeKind.Regular;
        _assembler.HandleConfigurationChange(ev.Left);
        _sync.HandleConfigurationChange(regular, ev.Members, ev.RingId);
        ReportConfigChange(in ev, sink);
    }

    /// <summary>sync's scheduled work, then its messages into totempg (the node stack does the same on a live node).</summary>
    public void Run(NodeMachine machine)
    {
        for (int round = 0; round < 16; round++)
        {
            bool progress = _sync.PollProcess();
            while (_sync.PendingMessages > 0 && _packer.QueueAvailable > 0 && _sync.TryTakeMessage(_scratch, out int n))
            {
                _packer.TrySend(PgGroupSet.Sync, _scratch.AsSpan(0, n));
                progress = true;
            }

            while (_sync.TryPollEvent(out SyncEvent done))
            {
                Trace.Add($"complete {done.RingId}");
            }

            if (!progress)
            {
                break;
            }
        }

        DrainPacker();
    }

    public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Sink?.OnDeliver(nodeId, payload);

    private void DrainPacker()
    {
        while (true)
        {
            ReadOnlySpan<byte> packet = _packer.PeekPacket();
            if (packet.IsEmpty || Engine.TryMulticast(packet) != SendResult.Ok)
            {
                return;
            }

            _packer.TryTakePacket(_scratch, out _);
        }
    }

    /// <summary>A service that needs <c>processCalls</c> calls to finish its round and records what sync asks of it.</summary>
    private sealed class TraceService(int id, int processCalls, List<string> trace, Func<MembRingId> ring) : ISyncService
    {
        private int _calls;

        public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
        {
            _calls = 0;
            trace.Add($"init {id} {ringId}");
        }

        public bool SyncProcess()
        {
            trace.Add($"process {id} {ring()}");
            return ++_calls >= processCalls;
        }

        public void SyncActivate() => trace.Add($"activate {id} {ring()}");

        public void SyncAbort() => trace.Add($"abort {id}");
    }
}
