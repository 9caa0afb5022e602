using FastTotem.Diagnostics;

namespace FastTotem.Sim;

/// <summary>
/// A deterministic Totem ring: N engines on a virtual network with virtual time, driven by one event queue.
/// Everything random comes from <see cref="SimRandom"/> streams derived from the seed, so a seed replays a run
/// exactly. Faults come from the random schedule (options) or from the scripting methods (Crash, Partition, ...).
/// </summary>
internal sealed partial class Simulator
{
    /// <summary>Largest datagram an engine may hand out; Totem frames stay under the MTU.</summary>
    public const int DatagramBufferSize = 9216;

    private readonly PriorityQueue<SimEvent, SimEventKey> _queue = new(1024);
    private readonly SimNode[] _nodes;
    private readonly uint[] _nodeList;
    private readonly SimRingSeqMemory _seqStore = new();
    private readonly SimEngineFactory _factory;
    private readonly SimRandom _netRandom;
    private readonly SimRandom _appRandom;
    private readonly SimRandom _faultRandom;
    private readonly SimRandom _readRandom;
    private readonly SimRandom _chaosRandom;
    private readonly SimFaultInjector? _injector;
    private readonly byte[] _transmitBuffer = new byte[DatagramBufferSize];
    private readonly byte[] _payloadBuffer = new byte[2048];
    private readonly SimPayload _payload = new();
    private const int EventsPerInstantMax = 200_000;

    // Normal traffic stays far below this (a 32-node join round is about a thousand arrivals); an engine that
    // answers every message with a broadcast makes it grow without bound and would never let the run end.
    private const long StormWindowNs = 10 * SimFormat.NsPerMs;
    private const int EventsPerStormWindowMax = 200_000;
    private long _stormWindowEndNs;
    private int _eventsThisWindow;
    private long _sequence;
    private int _eventsThisInstant;
    private bool _started;

    public Simulator(SimOptions options)
    {
        if (options.Validate() is { } error)
        {
            Invariant.ThrowArgument("options", error);
        }

        Options = options;
        _factory = options.EngineFactory ?? NodeSimEngine.Create;
        History = new SimHistory(options.NodeCount);
        _nodes = new SimNode[options.NodeCount];
        _nodeList = new uint[options.NodeCount];
        for (int i = 0; i < _nodes.Length; i++)
        {
            _nodes[i] = new SimNode(this, i);
            _nodeList[i] = _nodes[i].NodeId;
        }

        _netRandom = new SimRandom(SimRandom.Derive(options.Seed, 1));
        _appRandom = new SimRandom(SimRandom.Derive(options.Seed, 2));
        _faultRandom = new SimRandom(SimRandom.Derive(options.Seed, 3));
        _readRandom = new SimRandom(SimRandom.Derive(options.Seed, 4));
        // The faults added later draw from streams of their own, so runs without them replay as they always did.
        _chaosRandom = new SimRandom(SimRandom.Derive(options.Seed, 5));
        _typeRandom = new SimRandom(SimRandom.Derive(options.Seed, 6));
        _replayRandom = new SimRandom(SimRandom.Derive(options.Seed, 8));
        _injector = options.Buggify ? new SimFaultInjector(this, SimRandom.Derive(options.Seed, 7)) : null;
        _linkFifoNs = new long[options.NodeCount * options.NodeCount];
        _linkCut = new bool[options.NodeCount * options.NodeCount];
        _linkClogNs = new long[options.NodeCount * options.NodeCount];
        InitClocks();
    }

    public SimOptions Options { get; }
    public SimHistory History { get; }
    public SimStats Stats { get; } = new();
    public long NowNs { get; private set; }
    public IReadOnlyList<SimNode> Nodes => _nodes;

    /// <summary>The node with this nodeid (1..N).</summary>
    public SimNode Node(uint nodeId) => _nodes[nodeId - 1];

    /// <summary>Starts every node at time 0 (called by the first Run).</summary>
    public void Start()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        foreach (SimNode node in _nodes)
        {
            StartNode(node);
        }

        ScheduleRandomFaults();
    }

    /// <summary>Processes every event due up to <paramref name="timeNs"/>; virtual time then stands at that time.</summary>
    public void RunUntil(long timeNs)
    {
        Start();
        while (History.StallReason == null && _queue.TryPeek(out _, out SimEventKey key) && key.TimeNs <= timeNs)
        {
            _queue.TryDequeue(out SimEvent ev, out key);
            if (key.TimeNs == NowNs)
            {
                if (++_eventsThisInstant > EventsPerInstantMax)
                {
                    Stall(ref ev, $"more than {EventsPerInstantMax} events at one instant");
                    break;
                }
            }
            else
            {
                _eventsThisInstant = 0;
            }

            if (key.TimeNs >= _stormWindowEndNs)
            {
                _stormWindowEndNs = key.TimeNs + StormWindowNs;
                _eventsThisWindow = 0;
            }
            else if (++_eventsThisWindow > EventsPerStormWindowMax)
            {
                Stall(ref ev, $"an event storm: more than {EventsPerStormWindowMax} events within {StormWindowNs / SimFormat.NsPerMs} ms");
                break;
            }

            NowNs = key.TimeNs;
            Stats.Events++;
            Dispatch(ref ev);
        }

        if (timeNs > NowNs && History.StallReason == null)
        {
            NowNs = timeNs;
        }
    }

    /// <summary>
    /// Virtual time stops advancing when an engine keeps asking for work at the same instant (a deadline it never
    /// clears, or datagrams it bounces without delay); the run is cut short and the checker reports it.
    /// </summary>
    private void Stall(ref SimEvent ev, string what)
    {
        SimNode node = _nodes[ev.Node];
        History.StallNs = NowNs;
        History.StallReason =
            $"virtual time stuck at {SimFormat.Time(NowNs)}: {what}, " +
            $"the last a {ev.Kind} for n{node.NodeId} ({node.Engine?.StateName ?? "down"}, deadline {node.Engine?.PollTimeout() ?? -1})";
        History.Note(NowNs, History.StallReason);
    }

    /// <summary>Runs to the configured duration and completes the history's run parameters for the checker.</summary>
    public SimHistory Run()
    {
        RunUntil(Options.DurationNs);
        Finish();
        return History;
    }

    /// <summary>Fills in the run parameters (end, heal time, liveness bound) after the last RunUntil.</summary>
    public void Finish()
    {
        History.EndNs = NowNs;
        History.AppStopNs = Math.Min(Options.AppStopNs, NowNs);
        History.FaultsHealedNs = _lastFaultNs;
        bool room = NowNs - _lastFaultNs >= Options.LivenessBoundNs + Options.DrainNs &&
                    _downCount == 0 && !_partitioned && _loss == 0 && _filter == null && _linksCut == 0 && _linksClogged == 0;
        History.LivenessBoundNs = room ? Options.LivenessBoundNs : 0;
    }

    /// <summary>Runs <paramref name="action"/> at virtual time <paramref name="timeNs"/> (a scripted step).</summary>
    public void At(long timeNs, Action<Simulator> action) =>
        Enqueue(Math.Max(timeNs, NowNs), new SimEvent { Kind = SimEventKind.Action, Action = action });

    private void Enqueue(long timeNs, SimEvent ev) => _queue.Enqueue(ev, new SimEventKey(timeNs, _sequence++));

    private void Dispatch(ref SimEvent ev)
    {
        switch (ev.Kind)
        {
            case SimEventKind.Arrival:
                Arrive(ref ev);
                break;
            case SimEventKind.Read:
                Read(ref ev);
                break;
            case SimEventKind.Timer:
                FireTimer(ref ev);
                break;
            case SimEventKind.AppSend:
                AppSend(ref ev);
                break;
            case SimEventKind.RandomFault:
                RandomFaultStep();
                break;
            case SimEventKind.ChaosFault:
                ChaosStep();
                break;
            case SimEventKind.Action:
                ev.Action!(this);
                break;
        }
    }

    private void StartNode(SimNode node)
    {
        node.ResetForRestart();
        node.Incarnation++;
        node.Process = History.StartProcess(NowNs, node.NodeId);
        node.Engine = _factory(node.NodeId, _nodeList, _seqStore, Options);
        Step(node, start: true);
        ScheduleAppSend(node);
    }

    /// <summary>
    /// One turn of the node's loop (its batch, if any, is in <see cref="SimNode.Batch"/>): the engine steps, sending
    /// onto the simulated wire and recording its events; then its timer is re-armed.
    /// </summary>
    private void Step(SimNode node, bool start = false)
    {
        ISimEngine? engine = node.Engine;
        if (engine == null)
        {
            return;
        }

        node.SteppingIncarnation = node.Incarnation;
        IFaultInjector? previous = FaultPoints.Install(_injector);
        try
        {
            engine.Step(node.LocalTime(NowNs), node, start);
        }
        finally
        {
            FaultPoints.Install(previous);
        }

        if (node.Engine != engine)
        {
            return; // a filter or action crashed the node mid-step
        }

        long deadline = node.GlobalTime(engine.PollTimeout());
        if (deadline < node.PendingTimerNs)
        {
            node.PendingTimerNs = deadline;
            Enqueue(Math.Max(deadline, NowNs), new SimEvent { Kind = SimEventKind.Timer, Node = node.Index, Incarnation = node.Incarnation });
        }
    }

    private void FireTimer(ref SimEvent ev)
    {
        SimNode node = _nodes[ev.Node];
        if (node.Engine == null || ev.Incarnation != node.Incarnation || Math.Max(node.PendingTimerNs, 0) > NowNs)
        {
            return; // stale: the node crashed, or an earlier deadline replaced this one
        }

        if (node.PausedUntilNs > NowNs)
        {
            // A paused process fires nothing; its timers are all due at once when it runs again.
            node.PendingTimerNs = node.PausedUntilNs;
            Enqueue(node.PausedUntilNs, new SimEvent { Kind = SimEventKind.Timer, Node = node.Index, Incarnation = node.Incarnation });
            return;
        }

        node.PendingTimerNs = long.MaxValue;
        Step(node);
    }

    private void ScheduleAppSend(SimNode node)
    {
        if (Options.MessagesPerSecond <= 0)
        {
            return;
        }

        long meanNs = (long)(SimFormat.NsPerSecond / Options.MessagesPerSecond);
        long at = NowNs + _appRandom.NextExponential(meanNs);
        if (at < Options.AppStopNs)
        {
            Enqueue(at, new SimEvent { Kind = SimEventKind.AppSend, Node = node.Index, Incarnation = node.Incarnation });
        }
    }

    private void AppSend(ref SimEvent ev)
    {
        SimNode node = _nodes[ev.Node];
        if (node.Engine == null || ev.Incarnation != node.Incarnation)
        {
            return;
        }

        if (node.PausedUntilNs <= NowNs)
        {
            Multicast(node); // a paused process's application is paused with it
        }

        ScheduleAppSend(node);
    }

    /// <summary>Has <paramref name="node"/>'s application multicast its next numbered message now; false when refused.</summary>
    public bool Multicast(SimNode node)
    {
        if (node.Engine == null)
        {
            return false;
        }

        var id = new MessageId(node.NodeId, node.MessageCounter + 1);
        int length = _payload.Write(_payloadBuffer, id, Options.PayloadDataBytes);
        bool accepted;
        IFaultInjector? previous = FaultPoints.Install(_injector);
        try
        {
            accepted = node.Engine.TryMulticast(_payloadBuffer.AsSpan(0, length));
        }
        finally
        {
            FaultPoints.Install(previous);
        }

        if (accepted)
        {
            node.MessageCounter++;
            Stats.Multicasts++;
            History.Multicast(NowNs, node.Process, id);
        }
        else
        {
            Stats.MulticastsRejected++;
        }

        Step(node);
        return accepted;
    }
}
