using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Protocol.Sync;
using FastTotem.Transport;
using FastTotem.Wire;

namespace FastTotem.Hosting;

/// <summary>
/// Everything above the SRP engine that a corosync daemon runs, wired the way corosync's main.c wires it:
/// SRP deliveries go through totempg reassembly to the local group instances ("sync" → the sync engine,
/// "a" → the services); configuration changes go to totempg, then to sync; service and sync messages go
/// through the totempg packer, which hands its payloads to the engine when the token arrives.
/// Sans-I/O: the driver calls <see cref="OnEvent"/> and <see cref="OnIdle"/> on its loop thread.
/// </summary>
internal sealed class NodeStack : IRingListener, ISrpTokenObserver
{
    private const int PumpRoundsMax = 64;

    private readonly SrpEngine _engine;
    private readonly PgPacker _packer;
    private readonly PgAssembler _assembler;
    private readonly PgGroups _groups;
    private readonly SyncEngine _sync;
    private readonly ExecOutbox _outbox;
    private readonly INodeListener _listener;
    private readonly byte[] _scratch;
    private bool _started;

    public NodeStack(SrpEngine engine, VotequorumConfig quorum, INodeListener listener, ulong? configVersion = null)
    {
        _engine = engine;
        _listener = listener;
        _packer = new PgPacker(engine.MaxPayload);
        _assembler = new PgAssembler(Math.Max(engine.Config.NodeList.Length, 1));
        _groups = new PgGroups();
        _sync = new SyncEngine();
        // Holds one sync message (a service_build is the largest) or one totempg payload on its way to the engine.
        _scratch = new byte[Math.Max(SyncServiceBuildMessage.Size, engine.MaxPayload)];
        Services = new NodeServices(engine.NodeId, quorum, configVersion: configVersion);
        _outbox = Services.Outbox;
        Services.RegisterWith(_sync);

        int syncInstance = _groups.AddInstance(_sync);
        _groups.Join(syncInstance, "sync"u8);
        int execInstance = _groups.AddInstance(Services.Dispatcher);
        _groups.Join(execInstance, "a"u8);
        engine.TokenObserver = this;
    }

    /// <summary>cmap, cpg, quorum and votequorum, as a corosync daemon runs them.</summary>
    public NodeServices Services { get; }

    public CpgService Cpg => Services.Cpg;

    public VotequorumService Votequorum => Services.Votequorum;

    public SyncEngine Sync => _sync;

    public PgAssembler Assembler => _assembler;

    public PgPacker Packer => _packer;

    /// <summary>Runs on the loop thread once per iteration, before the stack pumps: hosts drain their queues here.</summary>
    public IHostWork? HostWork { get; set; }

    /// <summary>Adds a local totempg group instance that receives the messages of group <paramref name="name"/> (loop thread or before start).</summary>
    public int JoinGroup(ReadOnlySpan<byte> name, IPgGroupHandler handler)
    {
        int instance = _groups.AddInstance(handler);
        _groups.Join(instance, name);
        return instance;
    }

    /// <summary>Hands a message to totempg for <paramref name="groups"/> (loop thread only).</summary>
    public PgSendResult TrySend(PgGroupSet groups, ReadOnlySpan<byte> data)
    {
        PgSendResult result = _packer.TrySend(groups, data);
        if (result == PgSendResult.Queued)
        {
            DrainPacker();
        }

        return result;
    }

    public void OnEvent(in SrpEvent ev)
    {
        if (ev.Kind == SrpEventKind.Deliver)
        {
            _assembler.HandlePacket(ev.SenderNodeId, ev.Payload, ev.ForeignEndian, _groups);
            return;
        }

        // totempg first (app_confchg_fn drops the assemblies of nodes that left), then sync (main.c confchg_fn).
        _assembler.HandleConfigurationChange(ev.Left);
        if (ev.ConfigKind == ConfigChangeKind.Regular)
        {
            _assembler.SetWaitingTransAck(true);
        }

        _sync.HandleConfigurationChange(ev.ConfigKind == ConfigChangeKind.Regular, ev.Members, ev.RingId);
        _listener.OnConfigChange(in ev);
    }

    public void OnIdle(SrpEngine engine, long nowNs)
    {
        if (!_started && engine.IsRunning)
        {
            // votequorum_exec_init_fn: one nodeinfo when the service starts (a#3).
            _started = true;
            Votequorum.Start();
        }

        HostWork?.Run(this);
        for (int round = 0; round < PumpRoundsMax; round++)
        {
            bool progress = DrainOutbox();
            progress |= _sync.PollProcess();
            progress |= DrainSync();
            DrainPacker();
            while (_sync.TryPollEvent(out SyncEvent done))
            {
                _assembler.SetWaitingTransAck(false);
                _listener.OnSyncComplete(done.RingId);
            }

            if (!progress)
            {
                return;
            }
        }
    }

    public void OnTokenReceived()
    {
        _packer.HandleTokenReceived();
        DrainPacker();
    }

    /// <summary>Service messages → totempg group "a", in the order the services queued them.</summary>
    private bool DrainOutbox()
    {
        bool moved = false;
        while (_outbox.TryPeek(out ReadOnlySpan<byte> message))
        {
            if (_packer.TrySend(PgGroupSet.Services, message) != PgSendResult.Queued)
            {
                break;
            }

            _outbox.Dequeue();
            moved = true;
        }

        return moved;
    }

    /// <summary>Sync messages → totempg group "sync".</summary>
    private bool DrainSync()
    {
        bool moved = false;
        while (_sync.PendingMessages > 0 && _packer.QueueAvailable > 0 && _sync.TryTakeMessage(_scratch, out int length))
        {
            _packer.TrySend(PgGroupSet.Sync, _scratch.AsSpan(0, length));
            moved = true;
        }

        return moved;
    }

    /// <summary>Finished totempg payloads → the engine's send queue, as far as it has room.</summary>
    private void DrainPacker()
    {
        while (true)
        {
            ReadOnlySpan<byte> packet = _packer.PeekPacket();
            if (packet.IsEmpty || _engine.TryMulticast(packet) != MulticastResult.Ok)
            {
                return;
            }

            _packer.TryTakePacket(_scratch, out _);
        }
    }
}
