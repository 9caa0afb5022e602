using System.Collections.Concurrent;
using System.Text;
using FastTotem.Config;
using FastTotem.Hosting;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;
using FastTotem.Wire;
using Microsoft.Extensions.Logging;

namespace FastTotem;

/// <summary>
/// A Totem ring member that corosync 3.1 daemons accept as one of their own: the SRP engine, totempg, sync and
/// the cmap/cpg/quorum/votequorum services, on one protocol thread over UDP sockets. Configure it from the very
/// corosync.conf the daemons use (<see cref="FromConfigFile"/>) or from code (<see cref="Create"/>), then
/// <see cref="Start"/> it and join process groups with <see cref="JoinGroupAsync(string, DeliverHandler, ProcessGroupOptions?, CancellationToken)"/>.
/// <para>Events are raised on the protocol thread; handlers must not block.</para>
/// </summary>
public sealed partial class TotemNode : IDisposable
{
    private readonly CorosyncConfig _config;
    private readonly IDatagramTransport _transport;
    private readonly NodeMachine _machine;
    private bool _ownCounted; // the retained head delivery, if it is our own, was already taken off the time bound
    private readonly RingDriver _driver;
    private readonly Bridge _bridge;
    private readonly ConcurrentQueue<Action> _control = new();
    private readonly List<ProcessGroup> _pendingJoins = new();
    private readonly List<ProcessGroup> _pendingLeaves = new();
    private readonly ProcessGroup?[] _byHandle;
    private readonly List<ProcessGroup> _groups = new();
    // Every group created and not yet finished (left and confirmed, refused, or withdrawn before it was sent): what Stop
    // and a protocol fault close. A finished group belongs to its host alone, so its slab and doorbell go with it.
    private readonly ConcurrentDictionary<ProcessGroup, byte> _open = new();
    private readonly TaskCompletionSource<bool> _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly NodeLog? _log;
    private int _state; // 0 created, 1 started, 2 stopped
    private long _handlerFaults;
    private int _ringMode;
    private long _acceleratedRings;
    private long _unconsumedDeliveries;
    private long _deliveryOverruns;
    private long _sendsRefusedAfterQueueing;
    private readonly long[] _dropTotalsReported = new long[DropReasonCount];
    private readonly long[] _dropReportedAtNs = [.. Enumerable.Repeat(long.MinValue / 2, DropReasonCount)];
    private const int DropReasonCount = (int)DropReason.NodeEventQueueFull + 1;
    private const long DropReportIntervalNs = 1_000_000_000;

    private TotemNode(CorosyncConfig config, uint nodeId, bool busyPoll, int pinCpu, ILoggerFactory? loggerFactory)
    {
        _config = config;
        NodeId = nodeId;
        var engine = new SrpEngine(SrpConfigFactory.Create(config, nodeId), new FileRingSeqStore(config.StateDir));
        _bridge = new Bridge(this);
        _machine = new NodeMachine(engine, VotequorumConfig.FromCorosyncConfig(config, nodeId)) { HostWork = _bridge };
        _byHandle = new ProcessGroup?[CpgLimits.Default.LocalProcessCountMax];

        // The send slots hold the largest frame the machine can produce (netmtu up to 65,536), so no frame is refused.
        _transport = config.Transport == TotemTransport.Knet
            ? new KnetTransport(config, nodeId, config.Knet!.LoadKey()) { Log = line => TransportLog?.Invoke(line) }
            : new UdpTransport(TransportOptions.FromConfig(config, nodeId), _machine.TransmitBufferSize);
        try
        {
            _driver = new RingDriver(_machine, _transport)
            {
                BusyPoll = busyPoll, PinCpu = pinCpu, SchedRr = config.SchedRr, EventSink = _bridge, Faulted = _bridge.OnProtocolFault,
            };
        }
        catch
        {
            _transport.Dispose();
            throw;
        }

        InitQuorum();
        _log = NodeLog.TryCreate(loggerFactory, this);
    }

    /// <summary>This node's id.</summary>
    public uint NodeId { get; }

    /// <summary>What the corosync.conf reader warned about (keys read and deliberately not used).</summary>
    public IReadOnlyList<string> ConfigWarnings => _config.Warnings;

    /// <summary>The latest regular configuration, or null before the first one.</summary>
    public RingChange? Ring { get; private set; }

    /// <summary>
    /// The protocol loop thread: its tid, the CPU it was last seen on (sampled by the loop itself), whether it is
    /// pinned and busy-polls. Any thread may read it.
    /// </summary>
    public LoopThreadInfo LoopThreadInfo => _driver.LoopInfo;

    /// <summary>The loop's system calls, datagrams and wake-ups so far (the bench divides them by deliveries).</summary>
    internal LoopIoCounters IoCounters => _driver.IoCounters;

    /// <summary>
    /// CPG events (deliveries, confchgs) the node could not keep because CPG's event queue was full: the only way
    /// a delivery can be lost, and only when a queue-mode consumer stalls for longer than that queue holds.
    /// </summary>
    public long EventOverflowDrops => _machine.Cpg.Counters.EventOverflowDrops;

    /// <summary>
    /// Something went wrong on the protocol thread (raised there). <see cref="NodeFaultKind.Handler"/>: an event handler
    /// of this node or of one of its groups threw; the exception is reported here and the node carries on.
    /// <see cref="NodeFaultKind.Protocol"/>: a bug inside the node; it has left the ring and stopped (<see cref="IsFaulted"/>),
    /// and a host that wants to stay in the cluster disposes it and starts a fresh node with the same settings.
    /// </summary>
    public event Action<NodeFault>? Faulted;

    /// <summary>True after a protocol fault ended the node (it left the ring; nothing more is delivered or sent).</summary>
    public bool IsFaulted => _driver.Fault != null;

    /// <summary>The protocol fault that ended the node, or null.</summary>
    public NodeFault? ProtocolFault { get; private set; }

    /// <summary>Exceptions thrown by event handlers (this node's and its groups'), each caught and reported.</summary>
    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);

    /// <summary>
    /// What the transport has to say, as text, on the protocol thread: over knet, links going up and down, hosts
    /// becoming reachable, PMTUd results and summaries of dropped packets (for instance failed authentication).
    /// </summary>
    public event Action<string>? TransportLog;

    /// <summary>The transport in one line (e.g. "knet, 1 link(s), link_mode passive, crypto aes256/sha256").</summary>
    public string TransportDescription => _transport is KnetTransport k ? k.Describe : _config.Transport.ToString().ToLowerInvariant();

    /// <summary>Every drop counter of the node, by layer (docs/robustness.md). Any thread may read it.</summary>
    public NodeDropCounters DropCounters
    {
        get
        {
            SrpCounters s = _machine.Engine.Counters;
            PgAssembler pg = _machine.Assembler;
            CpgCounters cpg = _machine.Cpg.Counters;
            VotequorumService vq = _machine.Services.Votequorum;
            return new NodeDropCounters
            {
                TransportDrops = _transport.DroppedPackets,
                SrpMalformed = s.DropTruncated + s.DropBadMagic + s.DropBadVersion + s.DropUnknownType + s.DropBadLength + s.DropTooLarge,
                SrpMisattributed = s.DropMisattributed,
                SrpUnlisted = s.DropUnlistedNode + s.DropUnlistedTransmitter,
                SrpImpossible = s.DropImpossibleToken + s.DropBadCommitToken + s.RingSeqPoisonIgnored,
                TotempgDrops = pg.MalformedDrops + pg.OversizeDrops + pg.NoSlotDrops + pg.NotMemberDrops,
                CpgDrops = cpg.MalformedDrops + cpg.BadNameDrops + cpg.UnknownFunctionDrops + cpg.UnknownSenderDrops
                    + cpg.TableFullDrops + cpg.PartialDrops + cpg.EventOverflowDrops
                    + cpg.JoinlistOutsideSyncDrops + cpg.JoinlistNonMemberDrops + cpg.NodeShareDrops,
                VotequorumDrops = vq.MalformedDrops + vq.MisattributedDrops + vq.UnlistedDrops + vq.TableFullDrops,
                SyncDrops = _machine.Counters.EventOverflowDrops,
                UnconsumedDeliveries = Interlocked.Read(ref _unconsumedDeliveries),
                DeliveryOverruns = Interlocked.Read(ref _deliveryOverruns),
                SendsRefusedAfterQueueing = Interlocked.Read(ref _sendsRefusedAfterQueueing),
                HeldTrafficOverflows = _machine.Stack.HeldTrafficOverflows,
            };
        }
    }

    /// <summary>
    /// Something a host sent or should have received was lost (or, for <see cref="DropReason.HeldTrafficOverflow"/>,
    /// sent out of order): at most one report per <see cref="DropReason"/> per second, each with the count since the
    /// previous report of that reason, so a flood of drops cannot flood the host. The first drop of a reason is reported
    /// at once; the counts are also in <see cref="DropCounters"/>. On the protocol thread; must not block.
    /// </summary>
    public event Action<DropReport>? DropReported;

    /// <summary>Transitional and regular configuration changes of the ring (corosync's confchg), on the protocol thread.</summary>
    public event Action<RingChange>? RingChanged;

    /// <summary>
    /// The ring is re-forming: the protocol entered GATHER, for the reason given (corosync's gather_state_from),
    /// leaving the ring given. Raised on the protocol thread.
    /// </summary>
    public event Action<GatherReason, RingId>? GatherEntered;

    /// <summary>Every service finished synchronising on this ring, on the protocol thread.</summary>
    public event Action<RingId>? SyncCompleted;

    /// <summary>
    /// The ring's mode (docs/accelerated-ring.md): reported after every synchronisation (right after
    /// <see cref="SyncCompleted"/>), and when a ring that ran accelerated starts re-forming (back to
    /// <see cref="FastTotem.RingMode.Standard"/> before any message of the next ring). Protocol thread.
    /// </summary>
    public event Action<RingMode, RingId>? RingModeReported;

    /// <summary>The ring's current mode; <see cref="FastTotem.RingMode.Accelerated"/> only with the accelerated ring on
    /// (totem.fasttotem_accelerated) on a ring of such FastTotem nodes only. Any thread may read it.</summary>
    public RingMode RingMode => (RingMode)Volatile.Read(ref _ringMode);

    /// <summary>How many rings this node ran accelerated (a counter since start). Any thread may read it.</summary>
    public long AcceleratedRings => Interlocked.Read(ref _acceleratedRings);

    /// <summary>
    /// The cluster is switching to a new authkey or crypto setting (<c>corosync-cfgtool -R</c>; the argument is the
    /// node whose cfg CRYPTO_RECONFIG came first). FastTotem does not follow a live crypto change: the node has logged
    /// why (<see cref="TransportLog"/>) and is leaving the ring; restart it with the new files. Protocol thread.
    /// </summary>
    public event Action<uint>? CryptoReconfigured;

    /// <summary>True once the node left the ring because the cluster changed its crypto settings.</summary>
    public bool LeftForCryptoChange { get; private set; }

    /// <summary>
    /// A node configured by a corosync.conf file, as <c>fasttotem run</c> does: the local node is the nodelist entry
    /// with one of this host's addresses, unless <paramref name="nodeId"/> says which.
    /// </summary>
    /// <exception cref="CorosyncConfigException">The file is broken or asks for something FastTotem does not speak.</exception>
    /// <exception cref="TransportException">The sockets could not be bound.</exception>
    /// <param name="path">The corosync.conf.</param>
    /// <param name="nodeId">The local node, when the nodelist cannot tell.</param>
    /// <param name="busyPoll">Spin on the sockets instead of sleeping in epoll.</param>
    /// <param name="pinCpu">Pin the protocol loop thread to this CPU; -1 leaves it to the scheduler.</param>
    /// <param name="loggerFactory">Where the node logs membership, synchronisation, faults and drops (never from the protocol thread); null logs nothing.</param>
    public static TotemNode FromConfigFile(string path, uint? nodeId = null, bool busyPoll = false, int pinCpu = -1, ILoggerFactory? loggerFactory = null) =>
        FromConfig(CorosyncConfig.Load(path), nodeId, busyPoll, pinCpu, loggerFactory);

    /// <summary>A node configured by corosync.conf text.</summary>
    /// <param name="corosyncConf">The corosync.conf text.</param>
    /// <param name="nodeId">The local node, when the nodelist cannot tell.</param>
    /// <param name="busyPoll">Spin on the sockets instead of sleeping in epoll.</param>
    /// <param name="pinCpu">Pin the protocol loop thread to this CPU; -1 leaves it to the scheduler.</param>
    /// <param name="loggerFactory">Where the node logs (see <see cref="FromConfigFile"/>); null logs nothing.</param>
    public static TotemNode FromConfigText(string corosyncConf, uint? nodeId = null, bool busyPoll = false, int pinCpu = -1, ILoggerFactory? loggerFactory = null) =>
        FromConfig(CorosyncConfig.Parse(corosyncConf), nodeId, busyPoll, pinCpu, loggerFactory);

    /// <summary>
    /// A node configured from code: the same settings a corosync.conf would carry, mapped straight to them (no
    /// corosync.conf text in between, so no value is ever read as syntax).
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range or the options contradict each other.</exception>
    /// <exception cref="TransportException">The sockets could not be bound.</exception>
    public static TotemNode Create(TotemNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TotemNode node = FromConfig(TotemNodeOptionsMapping.ToConfig(options), options.NodeId, options.BusyPoll, options.PinCpu ?? -1, options.LoggerFactory);
        node._openStatusSocketAtStart = options.StatusSocket;
        if (options.DropLogInterval is TimeSpan interval)
        {
            node._log?.SetDropSummaryInterval(interval);
        }

        return node;
    }

    private static TotemNode FromConfig(CorosyncConfig config, uint? nodeId, bool busyPoll, int pinCpu, ILoggerFactory? loggerFactory)
    {
        if (pinCpu < -1 || pinCpu >= Environment.ProcessorCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pinCpu), $"a CPU from 0 to {Environment.ProcessorCount - 1}, or -1");
        }

        uint id = nodeId ?? config.FindLocalNode()?.NodeId
            ?? throw new CorosyncConfigException("no nodelist entry has a ring0_addr of this host; pass the nodeid");
        return new TotemNode(config, id, busyPoll, pinCpu, loggerFactory);
    }

    /// <summary>Starts the protocol thread: the node forms its singleton ring and merges with the others.</summary>
    /// <exception cref="IOException">With <see cref="TotemNodeOptions.StatusSocket"/>: the status socket could not be opened (the node did not start).</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("a TotemNode starts once");
        }

        if (_openStatusSocketAtStart && _statusServer == null)
        {
            try
            {
                OpenStatusSocket();
            }
            catch (IOException)
            {
                Volatile.Write(ref _state, 0); // not started: the caller may fix the path and start again
                throw;
            }
        }

        FastTotemMeter.Register(this);
        _log?.Started(TransportDescription);
        _driver.Start($"fasttotem-{NodeId}");
    }

    /// <summary>
    /// Completes when the node finished its first synchronisation (on its singleton ring or a larger one); faults
    /// when a protocol fault ends the node first, and is cancelled with <paramref name="cancellationToken"/>.
    /// </summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) => _firstSync.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Joins the process group <paramref name="name"/> (cpg_join) with <paramref name="onDeliver"/> as its delivery
    /// handler, on the protocol thread (<see cref="DeliveryMode.ProtocolThread"/>). The handler is in place before the
    /// join is sent, so a delivery that arrives the instant the join completes reaches it. Completes when the cluster
    /// confirmed the join (this member appears in the group's membership).
    /// </summary>
    /// <param name="name">The group (1 to 128 bytes of UTF-8).</param>
    /// <param name="onDeliver">Each delivery, on the protocol thread; must not block; exceptions are reported on <see cref="Faulted"/>.</param>
    /// <param name="options">Group settings; <see cref="ProcessGroupOptions.Delivery"/> must be <see cref="DeliveryMode.ProtocolThread"/>.</param>
    /// <param name="cancellationToken">
    /// Gives up the join: unless the confirmation came first (then the group is returned), the join is withdrawn
    /// (not sent, or followed by a leave) and the task is cancelled. No member stays in the cluster without a handle.
    /// </param>
    public Task<ProcessGroup> JoinGroupAsync(string name, DeliverHandler onDeliver, ProcessGroupOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onDeliver);
        options ??= new ProcessGroupOptions();
        if (options.Delivery != DeliveryMode.ProtocolThread)
        {
            throw new ArgumentException("a delivery handler goes with DeliveryMode.ProtocolThread; queue mode is drained with TryTakeDelivery/TryReceive", nameof(options));
        }

        return JoinAsync(name, options, onDeliver, cancellationToken);
    }

    /// <summary>
    /// Joins the process group <paramref name="name"/> (cpg_join) whose deliveries wait in a queue
    /// (<see cref="DeliveryMode.Queue"/>): the slab exists before the join is sent, so nothing is missed. Completes when
    /// the cluster confirmed the join. In <see cref="DeliveryMode.ProtocolThread"/> mode give the delivery handler
    /// (the other overload): a delivery that finds none is counted and reported, not handed anywhere.
    /// </summary>
    /// <param name="name">The group (1 to 128 bytes of UTF-8).</param>
    /// <param name="options">Group settings.</param>
    /// <param name="cancellationToken">Gives up the join and withdraws it (see the other overload).</param>
    public Task<ProcessGroup> JoinGroupAsync(string name, ProcessGroupOptions? options = null, CancellationToken cancellationToken = default) =>
        JoinAsync(name, options ?? new ProcessGroupOptions(), null, cancellationToken);

    private async Task<ProcessGroup> JoinAsync(string name, ProcessGroupOptions options, DeliverHandler? onDeliver, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Encoding.UTF8.GetByteCount(name) > MarCpgName.ValueMax)
        {
            throw new ArgumentException($"CPG group names hold at most {MarCpgName.ValueMax} bytes", nameof(name));
        }

        if (Volatile.Read(ref _state) != 1)
        {
            throw new InvalidOperationException("start the node before joining groups");
        }

        cancellationToken.ThrowIfCancellationRequested(); // given up before anything was sent: nothing to withdraw
        var group = new ProcessGroup(this, name, options, onDeliver);
        _open[group] = 0;
        _control.Enqueue(() => _pendingJoins.Add(group));
        Wake();
        using (cancellationToken.Register(static state =>
        {
            var (g, token) = ((ProcessGroup, CancellationToken))state!;
            g.TryWithdrawJoin(token);
        }, (group, cancellationToken)))
        {
            await group.Joined.Task.ConfigureAwait(false);
        }

        return group;
    }

    /// <summary>Stops the node; with <paramref name="leave"/> it first sends corosync's LEAVE so the others re-form at once.</summary>
    /// <exception cref="InvalidOperationException">Called on the protocol thread (from an event handler): the thread cannot wait for its own end.</exception>
    public void Stop(bool leave = true)
    {
        ThrowIfLoopThread();
        int previous = Interlocked.Exchange(ref _state, 2);
        if (previous == 1)
        {
            _driver.Stop(leave);
            _log?.Stopped(leave);
        }

        // Every group not yet finished, joined or still joining (the loop's own lists belong to its thread).
        foreach (ProcessGroup g in _open.Keys)
        {
            g.MarkClosed();
            g.Joined.TrySetException(new InvalidOperationException("the node stopped"));
        }
    }

    /// <summary>Stops the node (leaving the ring) and releases its sockets.</summary>
    /// <exception cref="InvalidOperationException">Called on the protocol thread (from an event handler).</exception>
    public void Dispose()
    {
        ThrowIfLoopThread();
        Stop(leave: true);
        CloseStatusSocket();
        FastTotemMeter.Unregister(this);
        _driver.Dispose();
        _transport.Dispose();
        _log?.Dispose();

        // The loop thread is gone: nothing rings the groups' doorbells any more; their eventfds go with the node.
        // (A finished group's doorbell closes when its host lets the group go.)
        foreach (ProcessGroup group in _open.Keys)
        {
            _open.TryRemove(group, out _);
            group.CloseDoorbell();
        }
    }

    internal void Wake() => _driver.Wake();

    /// <summary>Tests: a bug stand-in, thrown on the protocol thread inside the node machine's next input.</summary>
    internal void InjectFaultForTesting(Exception exception)
    {
        _control.Enqueue(() => throw exception);
        Wake();
    }

    private void ThrowIfLoopThread()
    {
        if (_driver.IsLoopThread)
        {
            throw new InvalidOperationException(
                "TotemNode.Stop and Dispose cannot be called from an event handler (the protocol thread); call them from another thread");
        }
    }

    /// <summary>Loop thread: a user handler threw. Counted and reported; the node carries on.</summary>
    internal void ReportHandlerFault(Exception exception, string handler)
    {
        Interlocked.Increment(ref _handlerFaults);
        RaiseFault(new NodeFault(NodeFaultKind.Handler, $"node {NodeId}: the {handler} handler threw {exception.GetType().Name}: {exception.Message}", exception));
    }

    /// <summary>Loop thread: a protocol-thread-mode group had a delivery and no handler. Counted; the first of each group reported.</summary>
    internal void ReportUnconsumed(ProcessGroup group, bool first)
    {
        Interlocked.Increment(ref _unconsumedDeliveries);
        if (first)
        {
            RaiseFault(new NodeFault(NodeFaultKind.UnconsumedDelivery,
                $"node {NodeId}: group '{group.Name}' had a delivery and no delivery handler; give it with JoinGroupAsync(name, handler, ...) (counted in UnconsumedDeliveries)",
                new InvalidOperationException($"group '{group.Name}' has no delivery handler")));
        }
    }

    /// <summary>Loop thread: a delivery a group could never hold, or one that came after it was left with a full slab.</summary>
    internal void CountDeliveryOverrun() => Interlocked.Increment(ref _deliveryOverruns);

    /// <summary>Loop thread: one <see cref="DropReport"/> per reason whose total grew, unless that reason was reported
    /// less than a second ago (then the count waits for the next report). Reads a few counters; allocates nothing.</summary>
    private void ReportDrops(long nowNs)
    {
        for (int r = 0; r < DropReasonCount; r++)
        {
            long total = DropTotal((DropReason)r);
            long count = total - _dropTotalsReported[r];
            if (count <= 0 || nowNs - _dropReportedAtNs[r] < DropReportIntervalNs)
            {
                continue;
            }

            _dropTotalsReported[r] = total;
            _dropReportedAtNs[r] = nowNs;
            try
            {
                DropReported?.Invoke(new DropReport((DropReason)r, count, total));
            }
            catch (Exception exception)
            {
                ReportHandlerFault(exception, nameof(DropReported));
            }
        }
    }

    private long DropTotal(DropReason reason) => reason switch
    {
        DropReason.CpgEventQueueFull => _machine.Cpg.Counters.EventOverflowDrops,
        DropReason.UnconsumedDelivery => Interlocked.Read(ref _unconsumedDeliveries),
        DropReason.DeliveryOverrun => Interlocked.Read(ref _deliveryOverruns),
        DropReason.SendRefusedAfterQueueing => Interlocked.Read(ref _sendsRefusedAfterQueueing),
        DropReason.HeldTrafficOverflow => _machine.Stack.HeldTrafficOverflows,
        _ => _machine.Counters.EventOverflowDrops,
    };

    private void RaiseFault(NodeFault fault)
    {
        try
        {
            Faulted?.Invoke(fault);
        }
        catch (Exception)
        {
            // A fault handler that throws is not reported again (it would loop); the counters still tell.
        }
    }

    internal void LeaveGroup(ProcessGroup group)
    {
        _control.Enqueue(() =>
        {
            if (group.Handle >= 0)
            {
                _pendingLeaves.Add(group); // sent by the loop once CPG takes it (not during a synchronisation)
            }
            else if (_pendingJoins.Remove(group))
            {
                _open.TryRemove(group, out _); // withdrawn before CPG had it: nothing to leave
            }
        });
        Wake();
    }

    /// <summary>The protocol thread's side: runs host commands, moves group sends into CPG, routes CPG events.</summary>
    private void RunOnLoop(long nowNs)
    {
        _metrics.OnStep(_machine.Engine.Counters.OrfTokenRx, nowNs);
        CheckQuorum();
        ReportDrops(nowNs); // what the previous steps lost (the event drain below may stop early on a full slab)
        if (Volatile.Read(ref _statusRequested) != 0)
        {
            AnswerStatusRequests();
        }

        if (_sampleLoopAllocations)
        {
            Interlocked.Exchange(ref _loopAllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
        }

        while (_control.TryDequeue(out Action? action))
        {
            action();
        }

        for (int i = _pendingJoins.Count - 1; i >= 0; i--)
        {
            ProcessGroup group = _pendingJoins[i];
            CpgResult result = _machine.Cpg.Join(group.NameBytes, group.Pid, out int handle);
            if (result is CpgResult.TryAgain or CpgResult.QueueFull)
            {
                continue; // CPG's sync has not completed yet: the join waits, as libcpg's would retry
            }

            _pendingJoins.RemoveAt(i);
            if (result != CpgResult.Ok)
            {
                group.MarkClosed();
                _open.TryRemove(group, out _);
                group.Joined.TrySetException(new InvalidOperationException($"cpg join of '{group.Name}' failed: {result}"));
                continue;
            }

            group.Handle = handle;
            _byHandle[handle] = group;
            _groups.Add(group);
        }

        foreach (ProcessGroup group in _groups)
        {
            bool freed = group.Admission.Tick(nowNs); // in-flight bytes forgotten: a waiting sender may go on
            while (group.SendQueue.TryPeek(out ReadOnlySpan<byte> message))
            {
                SendResult result = _machine.Cpg.TryMcast(group.Handle, message);
                if (result == SendResult.TryAgain)
                {
                    break;
                }

                if (result != SendResult.Ok)
                {
                    // Accepted by TryMulticast, refused by CPG now (the group closed under it): counted and reported.
                    Interlocked.Increment(ref _sendsRefusedAfterQueueing);
                }

                _metrics.OnSent(group.Handle, message.Length, nowNs);
                group.SendQueue.Dequeue();
                freed = true;
            }

            if (freed)
            {
                group.SignalSendSpace(); // (the node stack signals the engine when it moves these into totempg)
            }
        }

        // A leave goes after everything its group queued before it; one CPG cannot take yet (its join is still on the
        // way back, or a synchronisation runs) is asked again on the next iteration.
        for (int i = _pendingLeaves.Count - 1; i >= 0; i--)
        {
            if (_pendingLeaves[i].SendQueue.TryPeek(out _))
            {
                continue;
            }

            ProcessGroup leaving = _pendingLeaves[i];
            CpgResult result = _machine.Cpg.Leave(leaving.Handle);
            if (result is not (CpgResult.TryAgain or CpgResult.QueueFull or CpgResult.Busy))
            {
                _pendingLeaves.RemoveAt(i);
                if (result != CpgResult.Ok)
                {
                    Forget(leaving); // CPG no longer has it: no confirmation will come
                }
            }
        }

        while (_machine.Cpg.PollEvent(out CpgEvent ev))
        {
            ProcessGroup? group = ev.LocalHandle >= 0 && ev.LocalHandle < _byHandle.Length ? _byHandle[ev.LocalHandle] : null;
            if (group == null)
            {
                continue;
            }

            if (ev.Kind == CpgEventKind.Deliver && ev.NodeId == NodeId && ev.Pid == group.Pid)
            {
                // Back in agreed order: it no longer counts against the group's time bound (taken before the
                // handover below, which may retain the event and see it again).
                if (!_ownCounted)
                {
                    group.Admission.OnDelivered(nowNs, ev.Data.Length);
                    group.SignalSendSpace();
                    _ownCounted = true;
                }
            }

            if (ev.Kind == CpgEventKind.Deliver && !group.OnDeliver(ev.NodeId, ev.Pid, ev.Data))
            {
                // The group's consumer has no room: the delivery stays first in CPG's event queue (and every later
                // event behind it, so order holds) until a release makes room; the release wakes this loop.
                _machine.Cpg.RetainEvent();
                return;
            }

            if (ev.Kind == CpgEventKind.Deliver)
            {
                _metrics.OnDelivered(ev.LocalHandle, ev.Data.Length, ev.NodeId == NodeId && ev.Pid == group.Pid, nowNs);
            }
            _ownCounted = false;

            switch (ev.Kind)
            {
                case CpgEventKind.ConfigChange:
                    RouteMembership(group, in ev);
                    break;
                case CpgEventKind.TotemConfigChange:
                    group.OnRing(new RingChange(RingChangeKind.Regular, new RingId(ev.RingId), ev.TotemMembers.ToArray(), Array.Empty<uint>(), Array.Empty<uint>()));
                    break;
                case CpgEventKind.EventsLost:
                    group.OnEventsLost(ev.LostCount);
                    break;
            }
        }
    }

    private void RouteMembership(ProcessGroup group, in CpgEvent ev)
    {
        var membership = new GroupMembership(group.Name, ToMembers(ev.Members), ToMembers(ev.Left), ToMembers(ev.Joined))
        {
            DeliveriesBefore = group.DeliveriesHandedOut,
        };
        group.OnMembership(membership);
        foreach (GroupMember m in membership.Joined)
        {
            if (m.NodeId == NodeId && m.Pid == group.Pid)
            {
                group.Joined.TrySetResult(true);
            }
        }

        foreach (GroupMember m in membership.Left)
        {
            if (m.NodeId == NodeId && m.Pid == group.Pid)
            {
                Forget(group);
            }
        }
    }

    /// <summary>Loop thread: a group has finished (its leave confirmed, or CPG no longer has it); only its host holds it now.</summary>
    private void Forget(ProcessGroup group)
    {
        _byHandle[group.Handle] = null;
        _groups.Remove(group);
        group.MarkClosed();
        _open.TryRemove(group, out _);
    }

    private void ReportRingMode(RingMode mode, RingId ring)
    {
        try
        {
            RingModeReported?.Invoke(mode, ring);
        }
        catch (Exception exception)
        {
            ReportHandlerFault(exception, nameof(RingModeReported));
        }
    }

    private static GroupMember[] ToMembers(ReadOnlySpan<CpgAddress> list)
    {
        var members = new GroupMember[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            members[i] = new GroupMember(list[i].NodeId, list[i].Pid, list[i].Reason);
        }

        return members;
    }

    /// <summary>Receives the node stack's callbacks on the protocol thread.</summary>
    private sealed class Bridge(TotemNode node) : INodeEventSink, IHostWork
    {
        public void OnEvent(in NodeEvent ev)
        {
            if (ev.Kind == NodeEventKind.ConfigChange)
            {
                var kind = ev.ConfigKind == ConfigChangeKind.Regular ? RingChangeKind.Regular : RingChangeKind.Transitional;
                var change = new RingChange(kind, new RingId(ev.RingId), ev.Members.ToArray(), ev.Left.ToArray(), ev.Joined.ToArray());
                if (kind == RingChangeKind.Regular)
                {
                    node.Ring = change;
                    node._metrics.OnMembershipChange();
                }

                try
                {
                    node.RingChanged?.Invoke(change);
                }
                catch (Exception exception)
                {
                    node.ReportHandlerFault(exception, nameof(RingChanged));
                }
            }
            else if (ev.Kind == NodeEventKind.GatherEntered)
            {
                if (Interlocked.Exchange(ref node._ringMode, (int)RingMode.Standard) != (int)RingMode.Standard)
                {
                    node.ReportRingMode(RingMode.Standard, new RingId(ev.RingId));
                }

                try
                {
                    node.GatherEntered?.Invoke(ev.GatherReason, new RingId(ev.RingId));
                }
                catch (Exception exception)
                {
                    node.ReportHandlerFault(exception, nameof(GatherEntered));
                }
            }
            else if (ev.Kind == NodeEventKind.CryptoReconfigure)
            {
                // docs/knet.md §10: the daemons seal with the new key from now on, and still open the old one until
                // the switch is complete, so a LEAVE sent at once is heard and the ring re-forms without this node.
                if (node.LeftForCryptoChange)
                {
                    return;
                }

                node.LeftForCryptoChange = true;
                node.TransportLog?.Invoke(
                    $"node {ev.SenderNodeId} switches the cluster to a new authkey or crypto setting (corosync-cfgtool -R: cfg CRYPTO_RECONFIG); " +
                    "FastTotem does not follow a live crypto change, so it leaves the ring now: restart it with the new /etc/corosync/authkey and corosync.conf");
                node._driver.LeaveFromLoop();
                try
                {
                    node.CryptoReconfigured?.Invoke(ev.SenderNodeId);
                }
                catch (Exception exception)
                {
                    node.ReportHandlerFault(exception, nameof(CryptoReconfigured));
                }
            }
            else if (ev.Kind == NodeEventKind.SyncComplete)
            {
                node._firstSync.TrySetResult(true);
                node._lastSyncRing = new RingId(ev.RingId);
                Interlocked.Increment(ref node._syncsCompleted);
                try
                {
                    node.SyncCompleted?.Invoke(new RingId(ev.RingId));
                }
                catch (Exception exception)
                {
                    node.ReportHandlerFault(exception, nameof(SyncCompleted));
                }

                RingMode mode = ev.Accelerated ? RingMode.Accelerated : RingMode.Standard;
                if (Interlocked.Exchange(ref node._ringMode, (int)mode) != (int)mode && ev.Accelerated)
                {
                    Interlocked.Increment(ref node._acceleratedRings);
                }

                node.ReportRingMode(mode, new RingId(ev.RingId));
            }
        }

        public void Run(NodeMachine machine) => node.RunOnLoop(MonotonicClock.NowNs());

        public void Run(NodeMachine machine, long nowNs) => node.RunOnLoop(nowNs);

        public void OnProtocolFault(Exception exception)
        {
            var fault = new NodeFault(NodeFaultKind.Protocol,
                $"node {node.NodeId}: a protocol fault ({exception.GetType().Name}: {exception.Message}); the node left the ring and stopped", exception);
            node.ProtocolFault = fault;
            node._firstSync.TrySetException(new InvalidOperationException(fault.Message, exception));
            foreach (ProcessGroup g in node._open.Keys)
            {
                g.MarkClosed();
                g.Joined.TrySetException(new InvalidOperationException(fault.Message, exception));
            }

            node.RaiseFault(fault);
        }
    }
}
