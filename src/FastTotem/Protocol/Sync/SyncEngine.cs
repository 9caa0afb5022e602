using FastTotem.Protocol.Pg;
using FastTotem.Wire;

namespace FastTotem.Protocol.Sync;

/// <summary>
/// Sync v2 (exec/sync.c), sans-I/O. Inputs: configuration changes (<see cref="HandleConfigurationChange"/>)
/// and the messages of group "sync" in delivery order (<see cref="HandleMessage"/>, or through
/// <see cref="IPgGroupHandler"/>). Outputs, pulled by the caller: messages to multicast on group "sync"
/// (<see cref="TryTakeMessage"/>), the service processing step (<see cref="PollProcess"/>, corosync's
/// scheduled work) and "synchronisation completed" events (<see cref="TryPollEvent"/>).
/// <para>
/// Per ring: every node multicasts a service_build listing its local services, calls their init, and merges
/// the lists it receives (ids it lacks become no-ops). When all members' lists are in, services are processed
/// one at a time in id order; after a service's process reports done the node multicasts a barrier; when every
/// member's barrier for the ring has arrived the service is activated and the next one starts.
/// </para>
/// Allocation-free after registration; single-threaded.
/// </summary>
internal sealed partial class SyncEngine : IPgGroupHandler
{
    /// <summary>SERVICES_COUNT_MAX − 1: the largest local service id.</summary>
    public const int ServiceIdMax = WireLimits.ServiceIdMax;

    /// <summary>Most entries of the merged service list (the ids one service_build can carry).</summary>
    public const int ServiceListMax = WireLimits.ServiceListMax;

    private const int OutboxCapacity = 8;
    private const int EventCapacity = 8;

    private readonly ISyncService?[] _registered = new ISyncService?[ServiceIdMax + 1];
    private readonly string?[] _registeredNames = new string?[ServiceIdMax + 1];

    // The merged service list of the current ring (my_service_list).
    private readonly int[] _serviceIds = new int[ServiceListMax];
    private int _serviceCount;
    private int _processingIndex;

    // Members of the current ring and who has been heard from (my_processor_list).
    private readonly uint[] _members = new uint[WireLimits.ProcessorCountMax];
    private readonly bool[] _received = new bool[WireLimits.ProcessorCountMax];
    private int _memberCount;

    // The ids (0-63) each member's service_build of the current ring listed, one bit per id.
    private readonly ulong[] _listedIds = new ulong[WireLimits.ProcessorCountMax];
    private bool _listsComplete;

    // The saved transitional list (my_trans_list), replaced by its intersection with the members at init.
    private readonly uint[] _transitional = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _scratch = new uint[WireLimits.ProcessorCountMax];
    private int _transitionalCount;

    private readonly byte[] _outbox = new byte[OutboxCapacity * SyncServiceBuildMessage.Size];
    private readonly int[] _outboxLengths = new int[OutboxCapacity];
    private int _outboxHead;
    private int _outboxCount;

    private readonly SyncEvent[] _events = new SyncEvent[EventCapacity];
    private int _eventHead;
    private int _eventCount;

    private MembRingId _ringId;
    private bool _processPending;
    private readonly SyncPhase _phase;

    /// <param name="phase">The node's synchronisation phase: this engine starts and completes main.c's
    /// sync_in_process in it; a sync engine used on its own gets a phase of its own.</param>
    public SyncEngine(SyncPhase? phase = null)
    {
        _phase = phase ?? new SyncPhase();
    }

    /// <summary>The current state.</summary>
    public SyncState State { get; private set; } = SyncState.Barrier;

    /// <summary>The ring being synchronised; zero after an abort (late messages of the old ring are then ignored).</summary>
    public MembRingId RingId => _ringId;

    /// <summary>True from a configuration change until the round completes (corosync's sync_in_process).</summary>
    public bool IsSyncInProgress => _phase.SyncInProgress;

    /// <summary>The phase this engine reports to.</summary>
    public SyncPhase Phase => _phase;

    /// <summary>Id of the service being processed, or -1 when none is.</summary>
    public int CurrentServiceId =>
        _ringId.IsZero || _processingIndex >= _serviceCount || State is SyncState.ServiceListBuild or SyncState.Aborted
            ? -1
            : _serviceIds[_processingIndex];

    /// <summary>service_build and barrier messages of another ring, ignored.</summary>
    public long OldRingMessages { get; private set; }

    /// <summary>Own service_build and barrier messages of an earlier ring still waiting for room in totempg when the next
    /// ring started, dropped unsent (no member could use them: their ring id is gone).</summary>
    public long StaleMessagesUnsent { get; private set; }

    /// <summary>Messages too short or with a service list count over 128, dropped.</summary>
    public long MalformedMessages { get; private set; }

    /// <summary>Messages ignored because they arrived when no round could use them, or listed too many services.</summary>
    public long UnexpectedMessages { get; private set; }

    /// <summary>
    /// Registers a local service under its corosync service id (0 cmap, 2 cpg, 3 quorum, 5 votequorum, …).
    /// Ids above 63 are refused: corosync's daemon has 64 service slots and does not range-check the id.
    /// </summary>
    public void RegisterService(int serviceId, ISyncService service, string name)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(name);
        if ((uint)serviceId > ServiceIdMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(serviceId), $"sync service ids are 0 to {ServiceIdMax}; {serviceId} is refused");
        }

        if (_registered[serviceId] is not null)
        {
            Invariant.ThrowInvalidOperation($"sync service id {serviceId} is already registered ({_registeredNames[serviceId]})");
        }

        _registered[serviceId] = service;
        _registeredNames[serviceId] = name;
    }

    /// <summary>The name a service was registered under, or null.</summary>
    public string? ServiceName(int serviceId) =>
        (uint)serviceId <= ServiceIdMax ? _registeredNames[serviceId] : null;

    /// <summary>
    /// True when every member's service_build of the current ring listed <paramref name="serviceId"/> (known once all
    /// lists are in: from the processing of the first service until the next configuration change). FastTotem nodes
    /// recognise each other this way (docs/accelerated-ring.md).
    /// </summary>
    public bool EveryMemberListed(int serviceId)
    {
        if (!_listsComplete || _ringId.IsZero || (uint)serviceId > ServiceIdMax)
        {
            return false;
        }

        ulong bit = 1UL << serviceId;
        for (int i = 0; i < _memberCount; i++)
        {
            if ((_listedIds[i] & bit) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A configuration change from totem (confchg_fn in main.c, then sync_save_transitional or sync_start).
    /// A round still running is aborted first. A transitional change only saves its member list; a regular
    /// change starts the round for <paramref name="ringId"/>.
    /// </summary>
    public void HandleConfigurationChange(bool regular, ReadOnlySpan<uint> members, MembRingId ringId)
    {
        if (members.Length > WireLimits.ProcessorCountMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(members), "at most 384 members");
        }

        if (_phase.ConfigurationChanged())
        {
            Abort();
        }

        if (!regular)
        {
            members.CopyTo(_transitional);
            _transitionalCount = members.Length;
            return;
        }

        Start(members, ringId);
    }

    /// <summary>
    /// Runs one step of the current service's processing (schedwrk_processor). Returns true while the service
    /// wants to be called again; the barrier is queued when it reports done.
    /// </summary>
    public bool PollProcess()
    {
        if (!_processPending)
        {
            return false;
        }

        int serviceId = _serviceIds[_processingIndex];
        ISyncService? service = LocalService(serviceId);
        bool done = service is null || service.SyncProcess();
        if (!done)
        {
            return true;
        }

        _processPending = false;
        State = SyncState.Barrier;
        SyncBarrierMessage barrier = SyncBarrierMessage.Create(_ringId);
        Invariant.Encoded(barrier.TryWrite(Enqueue(SyncBarrierMessage.Size)), "a barrier fits its queue slot");
        return false;
    }

    /// <summary>Takes the oldest message to multicast on group "sync" (without the group header).</summary>
    public bool TryTakeMessage(Span<byte> destination, out int length)
    {
        if (_outboxCount == 0)
        {
            length = 0;
            return false;
        }

        length = _outboxLengths[_outboxHead];
        _outbox.AsSpan(_outboxHead * SyncServiceBuildMessage.Size, length).CopyTo(destination);
        _outboxHead = (_outboxHead + 1) % OutboxCapacity;
        _outboxCount--;
        return true;
    }

    /// <summary>The oldest message waiting in <see cref="TryTakeMessage"/> (empty when none), left in place so a
    /// caller whose packer has no room yet can try again; <see cref="DropMessage"/> removes it once sent.</summary>
    public ReadOnlySpan<byte> PeekMessage() =>
        _outboxCount == 0 ? default : _outbox.AsSpan(_outboxHead * SyncServiceBuildMessage.Size, _outboxLengths[_outboxHead]);

    /// <summary>Removes the message <see cref="PeekMessage"/> shows.</summary>
    public void DropMessage()
    {
        if (_outboxCount > 0)
        {
            _outboxHead = (_outboxHead + 1) % OutboxCapacity;
            _outboxCount--;
        }
    }

    /// <summary>Messages waiting in <see cref="TryTakeMessage"/>.</summary>
    public int PendingMessages => _outboxCount;

    /// <summary>Takes the next "synchronisation completed" event.</summary>
    public bool TryPollEvent(out SyncEvent syncEvent)
    {
        if (_eventCount == 0)
        {
            syncEvent = default;
            return false;
        }

        syncEvent = _events[_eventHead];
        _eventHead = (_eventHead + 1) % EventCapacity;
        _eventCount--;
        return true;
    }

    /// <summary>sync_start → sync_servicelist_build_enter: a new ring.</summary>
    private void Start(ReadOnlySpan<uint> members, MembRingId ringId)
    {
        // What an earlier ring left here unsent (totempg had no room while rings came and went, as in a non-transitive
        // partition that re-forms every few seconds) carries a ring id no member will accept any more: drop it, so the
        // queue holds at most this ring's service_build and one barrier.
        StaleMessagesUnsent += _outboxCount;
        _outboxHead = 0;
        _outboxCount = 0;

        _ringId = ringId;
        State = SyncState.ServiceListBuild;
        members.CopyTo(_members);
        _memberCount = members.Length;
        Array.Clear(_received, 0, _memberCount);
        Array.Clear(_listedIds, 0, _memberCount);
        _listsComplete = false;
        _processingIndex = 0;
        _processPending = false;

        _serviceCount = 0;
        for (int id = 0; id <= ServiceIdMax; id++)
        {
            if (_registered[id] is not null)
            {
                _serviceIds[_serviceCount++] = id;
            }
        }

        SyncServiceBuildMessage build = SyncServiceBuildMessage.Create(ringId, _serviceIds.AsSpan(0, _serviceCount));
        Invariant.Encoded(build.TryWrite(Enqueue(SyncServiceBuildMessage.Size)), "a service_build fits its queue slot");

        CallInit();
    }

    /// <summary>sync_process_call_init: init every local service with the surviving transitional members.</summary>
    private void CallInit()
    {
        _transitional.AsSpan(0, _transitionalCount).CopyTo(_scratch);
        int old = _transitionalCount;
        _transitionalCount = 0;
        for (int o = 0; o < old; o++)
        {
            if (_members.AsSpan(0, _memberCount).Contains(_scratch[o]))
            {
                _transitional[_transitionalCount++] = _scratch[o];
            }
        }

        for (int i = 0; i < _serviceCount; i++)
        {
            LocalService(_serviceIds[i])?.SyncInit(
                _transitional.AsSpan(0, _transitionalCount), _members.AsSpan(0, _memberCount), _ringId);
        }
    }

    /// <summary>sync_abort: stop the running service, forget the ring so its late messages are ignored.</summary>
    private void Abort()
    {
        if (State == SyncState.Process)
        {
            _processPending = false;
            LocalService(_serviceIds[_processingIndex])?.SyncAbort();
            State = SyncState.Aborted;
        }

        _ringId = default;
    }

    /// <summary>sync_process_enter: start processing the current service, or finish when there is none.</summary>
    private void ProcessEnter()
    {
        State = SyncState.Process;
        if (_serviceCount == 0)
        {
            State = SyncState.ServiceListBuild;
            Complete();
            return;
        }

        Array.Clear(_received, 0, _memberCount);
        _processPending = true;
    }

    private void Complete()
    {
        _phase.SyncCompleted();
        if (_eventCount == EventCapacity)
        {
            Invariant.ThrowInvalidOperation("sync events are not being polled");
        }

        _events[(_eventHead + _eventCount) % EventCapacity] = new SyncEvent(_ringId);
        _eventCount++;
    }

    private ISyncService? LocalService(int serviceId) =>
        (uint)serviceId <= ServiceIdMax ? _registered[serviceId] : null;

    private Span<byte> Enqueue(int length)
    {
        if (_outboxCount == OutboxCapacity)
        {
            Invariant.ThrowInvalidOperation("sync messages are not being taken (TryTakeMessage)");
        }

        int slot = (_outboxHead + _outboxCount) % OutboxCapacity;
        _outboxLengths[slot] = length;
        _outboxCount++;
        return _outbox.AsSpan(slot * SyncServiceBuildMessage.Size, length);
    }
}
