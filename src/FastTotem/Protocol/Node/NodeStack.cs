using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Protocol.Sync;
using FastTotem.Wire;

namespace FastTotem.Protocol.Node;

/// <summary>
/// Everything above the SRP engine that a corosync daemon runs, wired the way corosync's main.c wires it:
/// SRP deliveries go through totempg reassembly to the local group instances ("sync" → the sync engine,
/// "a" → the services); configuration changes go to totempg, then to sync; service and sync messages go
/// through the totempg packer, which hands its payloads to the engine when the token arrives.
/// Sans-I/O and internal to <see cref="NodeMachine"/>, which hands it every engine event (<see cref="OnEvent"/>) and
/// lets it settle (<see cref="Pump"/>) after every input.
/// </summary>
internal sealed class NodeStack
{
    private const int PumpRoundsMax = 64;

    private readonly SrpEngine _engine;
    private readonly PgPacker _packer;
    private readonly PgPacker _transPacker;
    private readonly ExecOutbox _held;
    private readonly PgAssembler _assembler;
    private readonly PgGroups _groups;
    private readonly SyncEngine _sync;
    private readonly ExecOutbox _outbox;
    private readonly INodeListener _listener;
    private readonly byte[] _scratch;
    private readonly SyncPhase _phase;
    private bool _started;

    // The members of the last transitional configuration: who came with us from the old ring.
    private readonly uint[] _transitionalMembers = new uint[WireLimits.ProcessorCountMax];
    private int _transitionalCount;

    /// <param name="engine">The SRP engine below.</param>
    /// <param name="quorum">votequorum's settings.</param>
    /// <param name="listener">Told of configuration changes and finished synchronisations.</param>
    /// <param name="configVersion">cmap's totem.config_version, when the file sets one.</param>
    /// <param name="cpgLimits">CPG's table and queue sizes; null for the defaults.</param>
    /// <param name="outboxBytes">Bytes the service outbox holds (the held-traffic queue holds twice as many).
    /// Smaller sizes only serve harnesses that build or restore many stacks (the fuzz targets).</param>
    /// <param name="packerQueueCapacity">Payloads totempg's send queue holds (corosync's MESSAGE_QUEUE_MAX for the
    /// default); smaller only for harnesses that snapshot and restore whole stacks (the fuzz targets).</param>
    /// <param name="assemblyBytes">Bytes one totempg reassembly buffer holds; smaller only for such harnesses.</param>
    public NodeStack(SrpEngine engine, VotequorumConfig quorum, INodeListener listener, ulong? configVersion = null,
        CpgLimits? cpgLimits = null, int outboxBytes = ExecOutbox.DefaultCapacityBytes,
        int packerQueueCapacity = PgPacker.QueueCapacityDefault, int assemblyBytes = PgAssembler.AssemblyCapacity)
    {
        _engine = engine;
        _listener = listener;
        // The one synchronisation phase: the engine holds its lanes in it, and totempg, sync and CPG read it.
        _phase = engine.Phase;
        // Two packers, one per engine lane, so a fragment chain never crosses from one lane to the other: receivers
        // reassemble what arrives during a synchronisation apart from what arrives after it (totempg's
        // assembly_list_inuse_trans), so a chain begun on one side and continued on the other is thrown away.
        _packer = new PgPacker(engine.MaxPayload, packerQueueCapacity);
        _transPacker = new PgPacker(engine.MaxPayload, queueCapacity: Math.Min(512, packerQueueCapacity));
        _assembler = new PgAssembler(Math.Max(engine.Config.NodeList.Length, 1), assemblyCapacity: assemblyBytes, phase: _phase);
        _groups = new PgGroups();
        _sync = new SyncEngine(_phase);
        // Holds one sync message (a service_build is the largest) or one totempg payload on its way to the engine.
        _scratch = new byte[Math.Max(SyncServiceBuildMessage.Size, engine.MaxPayload)];
        Services = new NodeServices(engine.NodeId, quorum, cpgLimits, configVersion, new ExecOutbox(outboxBytes), _phase);
        _outbox = Services.Outbox;
        // Service messages queued before a ring change wait here, in order, until its synchronisation is done;
        // in corosync they would already sit in totemsrp's regular queue, which is held the same way.
        _held = new ExecOutbox(2 * outboxBytes, 2 * ExecOutbox.DefaultMessageCountMax);
        Services.RegisterWith(_sync);
        if (engine.Config.Accelerated)
        {
            // Announce the accelerated ring in every service_build: a no-op service id corosync fills in for itself.
            _sync.RegisterService(SyncCapability.AcceleratedRingServiceId, SyncCapability.NoOp, SyncCapability.AcceleratedRingName);
        }

        int syncInstance = _groups.AddInstance(_sync);
        _groups.Join(syncInstance, "sync"u8);
        int execInstance = _groups.AddInstance(Services.Dispatcher);
        _groups.Join(execInstance, "a"u8);
    }

    /// <summary>cmap, cpg, quorum and votequorum, as a corosync daemon runs them.</summary>
    public NodeServices Services { get; }

    public CpgService Cpg => Services.Cpg;

    public VotequorumService Votequorum => Services.Votequorum;

    public PgAssembler Assembler => _assembler;

    public SyncEngine Sync => _sync;

    public SyncPhase Phase => _phase;

    /// <summary>Adds a local totempg group instance that receives the messages of group <paramref name="name"/> (loop thread or before start).</summary>
    public int JoinGroup(ReadOnlySpan<byte> name, IPgGroupHandler handler)
    {
        int instance = _groups.AddInstance(handler);
        _groups.Join(instance, name);
        return instance;
    }

    /// <summary>
    /// Hands a message to totempg for <paramref name="groups"/> (loop thread only). Refused with
    /// <see cref="SendResult.TryAgain"/> until a synchronisation is done, as CPG refuses its local requests
    /// (corosync's sync_in_process): a fragmented message sent then would go out on the transitional lane, where its
    /// chain can cross the barrier or the next ring change; a node that meets the continuation in a fresh assembly throws
    /// it away with the sync messages packed behind it, and the synchronisation never ends (found by the engine fuzz
    /// target, docs/fuzzing.md).
    /// </summary>
    public SendResult TrySend(PgGroupSet groups, ReadOnlySpan<byte> data)
    {
        if (!Services.Cpg.AcceptsLocalRequests)
        {
            return SendResult.TryAgain;
        }

        SendResult result = (_phase.TotempgWaitingTransAck ? _transPacker : _packer).TrySend(groups, data);
        if (result == SendResult.Ok)
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
            // A barrier may have just finished the synchronisation: switch lanes and assemblies at this very point
            // of the agreed order (corosync does it inside the delivery), not after the rest of the batch, or the
            // messages right behind the barrier are reassembled in the wrong buffers.
            PollSyncCompletion();
            if (Services.Cfg.TakeCryptoReconfig(out uint reconfiguringNode))
            {
                _listener.OnCryptoReconfigure(reconfiguringNode);
            }

            return;
        }

        if (ev.Kind == SrpEventKind.GatherEntered)
        {
            _listener.OnGather(ev.GatherReason, ev.RingId);
            return;
        }

        // totempg first (app_confchg_fn drops the assemblies of nodes that left), then sync (main.c confchg_fn, which
        // also stops local requests through the phase, transitional or regular change alike, until the
        // synchronisation completes).
        _assembler.HandleConfigurationChange(ev.Left);
        if (ev.ConfigKind == ConfigChangeKind.Transitional)
        {
            _transitionalCount = Math.Min(ev.Members.Length, _transitionalMembers.Length);
            ev.Members[.._transitionalCount].CopyTo(_transitionalMembers);
        }
        else if (ev.ConfigKind == ConfigChangeKind.Regular)
        {
            _assembler.HandleRegularConfiguration(ev.Members);
            if (HasNewMembers(ev.Members))
            {
                RestartChainForNewMembers();
            }

            _transitionalCount = 0;
            if (_phase.RegularConfigurationDelivered())
            {
                HoldRegularTraffic();
            }
        }

        _sync.HandleConfigurationChange(ev.ConfigKind == ConfigChangeKind.Regular, ev.Members, ev.RingId);
        _listener.OnConfigChange(in ev);
    }

    /// <summary>
    /// Lets the services, sync, the outbox and the packers move until nothing moves (bounded): what the last input
    /// (or host command) made them queue reaches the engine.
    /// </summary>
    public void Pump()
    {
        if (!_started && _engine.IsRunning)
        {
            // votequorum_exec_init_fn: one nodeinfo when the service starts (a#3).
            _started = true;
            Votequorum.Start();
        }

        for (int round = 0; round < PumpRoundsMax; round++)
        {
            bool queued = DrainOutbox();
            queued |= Services.Cpg.SetRegularBacklog(_held.Count > 0);
            bool progress = _sync.PollProcess();
            queued |= DrainSync();
            if (queued)
            {
                // mcast_msg signals every message, service and sync ones too: a ring held idle lets its token go now.
                _engine.SignalNewMessage();
            }

            progress |= queued;
            DrainPacker();
            progress |= PollSyncCompletion();

            if (!progress)
            {
                return;
            }
        }
    }

    /// <summary>corosync_sync_completed → totempg_trans_ack: the regular lane and the regular assemblies again.</summary>
    private bool PollSyncCompletion()
    {
        bool any = false;
        while (_sync.TryPollEvent(out SyncEvent done))
        {
            // The sync engine already ended sync_in_process in the phase; the trans ack moves totempg back to its
            // regular side and opens the engine's regular lane if the synchronised ring is still the engine's.
            _engine.TransAck(done.RingId);
            Services.Cpg.HandleSyncCompleted();
            // docs/accelerated-ring.md: accelerated only when every member announced the capability in this ring's
            // service lists; the engine itself returns to standard mode at the next membership change.
            bool accelerated = _engine.Config.Accelerated && _sync.RingId == done.RingId
                && _sync.EveryMemberListed(SyncCapability.AcceleratedRingServiceId) && _engine.TryAccelerate(done.RingId);
            _listener.OnSyncComplete(done.RingId, accelerated);
            any = true;
        }

        return any;
    }

    /// <summary>What the engine pulls on a token visit: the packers' payloads, each on its own lane.</summary>
    public PackerPayloads Payloads => new(_transPacker, _packer);

    /// <summary>
    /// Chains restarted for new members that could not be: our own reassembly of the chain's beginning was missing or
    /// did not end where the next payload continues. Those members lose that message, as corosync's do.
    /// </summary>
    public long ChainRestartsImpossible { get; private set; }

    /// <summary>Chains restarted at a ring change (<see cref="RestartChainForNewMembers"/>).</summary>
    public long ChainRestarts => _packer.ChainRestarts;

    /// <summary>Whether the regular configuration lists a node that did not come with us from the old ring.</summary>
    private bool HasNewMembers(ReadOnlySpan<uint> members)
    {
        ReadOnlySpan<uint> came = _transitionalMembers.AsSpan(0, _transitionalCount);
        foreach (uint member in members)
        {
            if (member != _engine.NodeId && !came.Contains(member))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A regular configuration with new members: if the regular lane's next payload continues a chain whose beginning went out in an
    /// earlier ring, a member new to us meets it in a fresh assembly and throws the message away (and, until a chain
    /// ends, what follows). So the chain is restarted whole for every member (<see cref="PgPacker.RestartChain"/>),
    /// from our own reassembly of its beginning: our payloads reach us in every ring we send them in, before the next
    /// regular configuration. The engine's unsent regular payloads go back in front of the packer's first, so the
    /// restart can go ahead of them; nothing of the regular lane leaves before the synchronisation is done.
    /// </summary>
    private void RestartChainForNewMembers()
    {
        while (_engine.TryTakeBackRegular(_scratch, out int length))
        {
            _packer.PushFront(_scratch.AsSpan(0, length));
        }

        byte continuation = _packer.NextContinuation;
        if (continuation == 0 || _packer.NextIsChainBreak)
        {
            // Nothing continues an old chain, or a restart queued at an earlier change has not left yet.
            return;
        }

        if (!_assembler.TryGetRegularPartial(_engine.NodeId, out ReadOnlySpan<byte> beginning, out byte last) || last != continuation)
        {
            ChainRestartsImpossible++;
            return;
        }

        _packer.RestartChain(beginning, continuation);
    }

    /// <summary>
    /// At a ring change, everything the services queued before it is regular traffic: set it aside so the
    /// synchronisation's own messages (queued from now on) can pass it, and send it on the regular lane, in order.
    /// The held queue holds twice the outbox, and while anything is held CPG refuses new local requests, so what the
    /// outbox has at a change is at most a full outbox when nothing was held, or the services' own few messages when
    /// something was: it fits. Should it not, what is left goes out with the synchronisation's messages, ahead of the
    /// held ones, and is counted (<see cref="HeldTrafficOverflows"/>).
    /// </summary>
    private void HoldRegularTraffic()
    {
        while (_outbox.TryPeek(out ReadOnlySpan<byte> message) && _held.TryEnqueue(message))
        {
            _outbox.Dequeue();
        }

        if (_outbox.Count > 0)
        {
            HeldTrafficOverflows++;
        }

        _ = Services.Cpg.SetRegularBacklog(_held.Count > 0);
    }

    /// <summary>Ring changes at which the held queue could not take all of the outbox (per-sender order not kept).</summary>
    public long HeldTrafficOverflows { get; private set; }

    /// <summary>
    /// Service messages → totempg group "a", in the order the services queued them: held regular traffic first
    /// (regular packer, regular lane); then, during a synchronisation, its messages (transitional packer), or after
    /// it, new regular traffic once nothing is held any more.
    /// </summary>
    private bool DrainOutbox()
    {
        bool moved = Drain(_held, _packer);
        if (_phase.TotempgWaitingTransAck)
        {
            moved |= Drain(_outbox, _transPacker);
        }
        else if (_held.Count == 0)
        {
            moved |= Drain(_outbox, _packer);
        }

        return moved;

        static bool Drain(ExecOutbox from, PgPacker to)
        {
            bool any = false;
            while (from.TryPeek(out ReadOnlySpan<byte> message))
            {
                if (to.TrySend(PgGroupSet.Services, message) != SendResult.Ok)
                {
                    break;
                }

                from.Dequeue();
                any = true;
            }

            return any;
        }
    }

    /// <summary>Sync messages → totempg group "sync".</summary>
    private bool DrainSync()
    {
        bool moved = false;
        PgPacker packer = _phase.TotempgWaitingTransAck ? _transPacker : _packer;
        // Room for the largest sync message however it is fragmented (a service_build needs two payloads at a small
        // netmtu), so the packer cannot refuse a message already taken from sync.
        int packetsMax = _scratch.Length / packer.PacketSizeMax + 2;
        while (_sync.PendingMessages > 0 && packer.QueueAvailable >= packetsMax && _sync.TryTakeMessage(_scratch, out int length))
        {
            Invariant.That(packer.TrySend(PgGroupSet.Sync, _scratch.AsSpan(0, length)) == SendResult.Ok,
                "totempg takes a sync message when its queue has room for it");
            moved = true;
        }

        return moved;
    }

    /// <summary>Finished totempg payloads → the engine's lane of their packer, as far as it has room.</summary>
    private void DrainPacker()
    {
        Drain(_transPacker, SendLane.Transitional);
        Drain(_packer, SendLane.Regular);

        void Drain(PgPacker packer, SendLane lane)
        {
            while (true)
            {
                ReadOnlySpan<byte> packet = packer.PeekPacket();
                if (packet.IsEmpty || _engine.TryMulticast(packet, lane) != SendResult.Ok)
                {
                    return;
                }

                Invariant.That(packer.DropPacket(), "a peeked totempg payload can be dropped");
            }
        }
    }
}
