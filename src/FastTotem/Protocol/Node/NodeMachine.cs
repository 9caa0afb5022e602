using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Protocol.Node;

/// <summary>
/// One ring member, sans-I/O: the SRP engine and, unless built SRP-only, everything a corosync daemon runs above it
/// (totempg, sync v2, cmap/cpg/quorum/votequorum; see <see cref="NodeStack"/>), behind one quinn-shaped contract.
/// Inputs: <see cref="Start"/>, <see cref="HandleDatagram"/>, <see cref="HandleTimeout"/>,
/// <see cref="HandleHostCommands"/>, <see cref="Leave"/>. Outputs, pulled: <see cref="PollTransmit"/>,
/// <see cref="PollTimeout"/>, <see cref="PollEvent"/>. Every input settles the whole node before it returns: the
/// engine's events reach totempg and the services, and what those queue reaches the engine, so nothing an input
/// produced waits inside for the next one. Drivers do not call these directly but through
/// <see cref="NodeLoop.Step{TIo}"/>, which drains the outputs after every input.
/// </summary>
internal sealed class NodeMachine : INodeListener
{
    private readonly SrpEngine _engine;
    private readonly NodeStack? _stack;
    private readonly NodeEventQueue _events;
    private readonly byte[] _transmitBuffer;

    /// <summary>An SRP-only machine: deliveries and configuration changes come out of <see cref="PollEvent"/> as the engine makes them.</summary>
    public NodeMachine(SrpEngine engine)
        : this(engine, null, null, servicesWanted: false)
    {
    }

    /// <summary>A machine running corosync's services over <paramref name="engine"/>, as a daemon does.</summary>
    public NodeMachine(SrpEngine engine, VotequorumConfig quorum, ulong? configVersion = null)
        : this(engine, quorum ?? throw new ArgumentNullException(nameof(quorum)), configVersion, servicesWanted: true)
    {
    }

    /// <summary>
    /// A machine with services whose CPG tables, outbox, totempg send queue and reassembly buffers are sized smaller than
    /// a daemon's: for harnesses that build or restore many machines (the fuzz targets restore three per input from a
    /// snapshot, copying every buffer). See <see cref="NodeStack"/>'s parameters.
    /// </summary>
    internal NodeMachine(SrpEngine engine, VotequorumConfig quorum, CpgLimits cpgLimits, int outboxBytes,
        int packerQueueCapacity = PgPacker.QueueCapacityDefault, int assemblyBytes = PgAssembler.AssemblyCapacity)
        : this(engine, quorum, null, servicesWanted: true, cpgLimits, outboxBytes, packerQueueCapacity, assemblyBytes)
    {
    }

    private NodeMachine(SrpEngine engine, VotequorumConfig? quorum, ulong? configVersion, bool servicesWanted,
        CpgLimits? cpgLimits = null, int outboxBytes = ExecOutbox.DefaultCapacityBytes,
        int packerQueueCapacity = PgPacker.QueueCapacityDefault, int assemblyBytes = PgAssembler.AssemblyCapacity)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _events = new NodeEventQueue(Counters);
        if (servicesWanted && quorum != null)
        {
            _stack = new NodeStack(engine, quorum, this, configVersion, cpgLimits, outboxBytes, packerQueueCapacity, assemblyBytes);
        }

        // The one size every driver asks for: its transmit slots must hold the largest frame the engine can produce.
        _transmitBuffer = GC.AllocateArray<byte>(TransmitBufferSize, pinned: true);
    }

    public SrpEngine Engine => _engine;

    /// <summary>
    /// The node's one synchronisation phase (its engine's): the engine's lanes, totempg's side, sync v2 and CPG's
    /// local requests all read it; nothing above the engine keeps a copy.
    /// </summary>
    public SyncPhase Phase => _engine.Phase;

    public uint NodeId => _engine.NodeId;

    /// <summary>The largest datagram <see cref="PollTransmit"/> can produce: drivers size their send and receive slots from it.</summary>
    public int TransmitBufferSize => _engine.TransmitBufferSize;

    public NodeCounters Counters { get; } = new();

    /// <summary>True when this machine runs corosync's services (built with a votequorum config).</summary>
    public bool HasServices => _stack != null;

    /// <summary>cmap, cpg, quorum and votequorum (machines with services only).</summary>
    public NodeServices Services => Stack.Services;

    public CpgService Cpg => Stack.Cpg;

    public PgAssembler Assembler => Stack.Assembler;

    /// <summary>True after a bug inside the machine ended it (<see cref="Fault"/>): it left the ring and takes no input.</summary>
    public bool Faulted { get; private set; }

    /// <summary>The exception that ended the machine, when <see cref="Faulted"/>.</summary>
    public Exception? FaultException { get; private set; }

    /// <summary>Run by <see cref="HandleHostCommands"/>: the host drains its command queues into the services there.</summary>
    internal IHostWork? HostWork { get; set; }

    /// <summary>
    /// An SRP-only machine's host may pack its own totempg payloads: the engine pulls this packer's on every token visit,
    /// onto <see cref="HostPackerLane"/> (a machine with services pulls its own packers).
    /// </summary>
    internal PgPacker? HostPacker { get; set; }

    internal SendLane HostPackerLane { get; set; } = SendLane.Regular;

    internal NodeStack Stack => _stack ?? throw new InvalidOperationException("an SRP-only node machine has no services");

    /// <summary>The loop's scratch for one outgoing frame (<see cref="TransmitBufferSize"/> bytes).</summary>
    internal byte[] TransmitBuffer => _transmitBuffer;

    /// <summary>True while the engine runs (between Start and Leave, and not faulted).</summary>
    public bool IsRunning => _engine.IsRunning && !Faulted;

    /// <summary>Adds a local totempg group instance that receives the messages of group <paramref name="name"/> (services only).</summary>
    public int JoinGroup(ReadOnlySpan<byte> name, IPgGroupHandler handler) => Stack.JoinGroup(name, handler);

    /// <summary>A host command: hands a message to totempg for <paramref name="groups"/> (services only, loop thread);
    /// <see cref="SendResult.TryAgain"/> while a synchronisation is in progress, as CPG answers local requests.</summary>
    public SendResult TrySend(PgGroupSet groups, ReadOnlySpan<byte> data) => Stack.TrySend(groups, data);

    /// <summary>A host command for an SRP-only machine: multicast a totempg payload.</summary>
    public SendResult TryMulticast(ReadOnlySpan<byte> totempgPayload) => _engine.TryMulticast(totempgPayload);

    /// <summary>The node forms its singleton ring (corosync start-up).</summary>
    public void Start(long nowNs)
    {
        BeginInput();
        _engine.Start(nowNs);
        Settle();
    }

    /// <summary>Starts from a known operational state (capture replay only).</summary>
    internal void StartSeeded(SrpSeedState seed, long nowNs)
    {
        BeginInput();
        _engine.SeedOperational(seed, nowNs);
        Settle();
    }

    /// <summary>One datagram from the network. Malformed or forged ones are counted and dropped by the engine.</summary>
    public void HandleDatagram(long nowNs, NodeSource source, ReadOnlySpan<byte> datagram)
    {
        if (!BeginInput())
        {
            return;
        }

        PackerPayloads payloads = _stack?.Payloads
            ?? (HostPackerLane == SendLane.Transitional ? new PackerPayloads(HostPacker, null) : new PackerPayloads(null, HostPacker));
        _engine.HandleDatagram(datagram, source.NodeId, nowNs, ref payloads);
        Settle();
    }

    /// <summary>The deadline of <see cref="PollTimeout"/> passed (calling it early does nothing).</summary>
    public void HandleTimeout(long nowNs)
    {
        if (!BeginInput())
        {
            return;
        }

        if (_engine.PollTimeout() <= nowNs)
        {
            _engine.HandleTimeout(nowNs);
        }

        Settle();
    }

    /// <summary>
    /// The host's turn: its queued commands run (<see cref="IHostWork"/>: CPG joins, sends, leaves) and the node settles,
    /// so what they queued is on its way to the engine.
    /// </summary>
    public void HandleHostCommands(long nowNs)
    {
        if (!BeginInput())
        {
            return;
        }

        HostWork?.Run(this, nowNs);
        Settle();
    }

    /// <summary>Graceful shutdown (totemsrp_finalize): the engine multicasts corosync's LEAVE and stops.</summary>
    public void Leave(long nowNs)
    {
        if (!BeginInput())
        {
            return;
        }

        _engine.Leave(nowNs);
        Settle();
    }

    /// <summary>Writes the next datagram into <paramref name="buffer"/> (at least <see cref="TransmitBufferSize"/> bytes).</summary>
    public bool PollTransmit(Span<byte> buffer, out TransmitInfo info) => _engine.PollTransmit(buffer, out info);

    /// <summary>The earliest deadline in monotonic nanoseconds, long.MaxValue if none.</summary>
    public long PollTimeout() => Faulted ? long.MaxValue : _engine.PollTimeout();

    /// <summary>The next event. The loop drains them all after every input.</summary>
    public bool PollEvent(out NodeEvent ev)
    {
        if (_stack != null)
        {
            return _events.TryDequeue(out ev);
        }

        if (_engine.PollEvent(out SrpEvent srp))
        {
            ev = NodeEvent.From(in srp);
            return true;
        }

        ev = default;
        return false;
    }

    /// <summary>
    /// A bug inside the machine ended the input it was handling (the loop caught the exception): the node leaves the
    /// ring as cleanly as it still can (corosync's LEAVE, so the others re-form at once) and takes no more input.
    /// </summary>
    public void Fault(long nowNs, Exception exception)
    {
        if (Faulted)
        {
            return;
        }

        Counters.ProtocolFaults++;
        Faulted = true;
        FaultException = exception;
        _events.Clear();
        try
        {
            _engine.Leave(nowNs);
        }
        catch (Exception)
        {
            // The engine is broken beyond leaving; the others notice the silence within the token timeout.
        }
    }

    /// <summary>
    /// Every input starts with the outputs of the previous one drained (the loop guarantees it). A caller that broke
    /// that contract loses the stale events, counted, rather than having the engine reuse buffers they still point to.
    /// </summary>
    private bool BeginInput()
    {
        if (Faulted)
        {
            Counters.InputsAfterFault++;
            return false;
        }

        if (_events.Count > 0)
        {
            Counters.EventsNotDrained += _events.Count;
            _events.Clear();
        }

        if (_stack == null)
        {
            while (_engine.PollEvent(out _))
            {
                Counters.EventsNotDrained++;
            }
        }

        return true;
    }

    /// <summary>With services: every engine event goes to the stack at once, then the stack moves until it is quiet.</summary>
    private void Settle()
    {
        if (_stack != null)
        {
            while (_engine.PollEvent(out SrpEvent ev))
            {
                _stack.OnEvent(in ev);
            }

            _stack.Pump();
        }

        _engine.Phase.CheckInvariants();
    }

    void INodeListener.OnConfigChange(in SrpEvent ev) => _events.EnqueueConfigChange(in ev);

    void INodeListener.OnSyncComplete(MembRingId ringId, bool accelerated) => _events.EnqueueSyncComplete(ringId, accelerated);

    void INodeListener.OnGather(GatherReason reason, MembRingId ringId) => _events.EnqueueGather(reason, ringId);

    void INodeListener.OnCryptoReconfigure(uint senderNodeId) => _events.EnqueueCryptoReconfigure(senderNodeId);
}
