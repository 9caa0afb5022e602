using FastTotem.Protocol.Services;
using FastTotem.Wire;

namespace FastTotem.Protocol.Cpg;

/// <summary>
/// The CPG service (service 2) of corosync 3.1.7, sans I/O: local process groups, the procjoin / procleave /
/// joinlist / mcast / downlist / partial_mcast exec messages, and CPG's part in sync (downlist and joinlist, then
/// NODEDOWN, NODEUP and PROCDOWN at activation). Messages to send go into the shared <see cref="ExecOutbox"/>;
/// deliveries and confchgs come out of <see cref="PollEvent"/>. Local requests are refused with TryAgain until CPG's
/// sync round on the current ring completed, so nothing of ours leaves before it (corosync blocks IPC the same way).
/// All tables are preallocated from <see cref="CpgLimits"/>; a full table is a counted drop or a refused request.
/// </summary>
internal sealed partial class CpgService : ISyncParticipant, IExecHandler
{
    private readonly uint _nodeId;
    private readonly ExecOutbox _outbox;
    private readonly CpgLimits _limits;
    private readonly CpgGroupTable _groups;
    private readonly CpgProcessTable _processes;
    private readonly CpgEventQueue _events;
    private readonly CpgPartialAssembler _partials;

    // Local processes: the host's handles index these.
    private readonly uint[] _localPids;
    private readonly int[] _localGroups;
    private readonly CpgLocalState[] _localStates;

    // One past the highest local slot ever used, so scans over local processes stay short.
    private int _localHighWater;

    // Events each local process lost to a full event queue and has not been told of yet (docs/robustness.md, finding G2), and
    // how many processes have such a report pending.
    private readonly uint[] _lostEvents;
    private int _lostPending;

    // Joinlist entries received in the current sync round (joinlist_messages_head).
    private readonly uint[] _joinlistSenders;
    private readonly uint[] _joinlistPids;
    private readonly int[] _joinlistNameLengths;
    private readonly byte[] _joinlistNames;
    private int _joinlistCount;
    private bool _regularBacklog;

    // Members of the ring at the last activation and of the ring being synced (my_old_member_list, my_member_list).
    private readonly uint[] _oldMembers = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _members = new uint[WireLimits.ProcessorCountMax];
    private int _oldMemberCount;
    private int _memberCount;
    private MembRingId _syncRingId;

    // g_req_exec_cpg_downlist: kept across rounds, so entries past left_nodes are stale like corosync's.
    private CpgDownlistMessage _downlist;
    private SyncStep _syncStep;
    private long _syncTicket;
    private bool _synced;
    private readonly SyncPhase _phase;

    // Scratch for activation and confchg building, sized for the whole process table.
    private readonly CpgAddress[] _scratchAddresses;
    private readonly int[] _scratchGroups;
    private readonly CpgAddress[] _scratchOneGroup;
    private readonly int[] _scratchDistinct;

    /// <param name="nodeId">This node's id.</param>
    /// <param name="outbox">Where CPG queues its exec messages for group "a".</param>
    /// <param name="limits">Table and queue sizes; null for the defaults.</param>
    /// <param name="phase">The node's synchronisation phase; a CPG used on its own (tests, benchmarks) gets an idle one.</param>
    public CpgService(uint nodeId, ExecOutbox outbox, CpgLimits? limits = null, SyncPhase? phase = null)
    {
        _phase = phase ?? SyncPhase.Idle();
        ArgumentNullException.ThrowIfNull(outbox);
        limits ??= CpgLimits.Default;
        if (limits.GroupCountMax < 1 || limits.ProcessCountMax < 1 || limits.LocalProcessCountMax < 1
            || limits.PartialSlotCount < 0 || limits.EventCountMax < 1 || limits.MessageLengthMax < 1 || limits.ProcessesPerNodeMax < 1)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(limits), "every CPG limit must be positive");
        }

        int largestPiece = CpgPartialMcastMessage.Size + Math.Min(limits.MessageLengthMax, CpgLimits.PieceLengthMax);
        if (outbox.CapacityBytes < largestPiece)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(outbox), "the outbox must hold the largest CPG piece");
        }

        _nodeId = nodeId;
        _outbox = outbox;
        _limits = limits;
        _groups = new CpgGroupTable(limits.GroupCountMax);
        _processes = new CpgProcessTable(limits.ProcessCountMax);
        _events = new CpgEventQueue(limits.EventCountMax, limits.EventDataBytes, limits.LocalProcessCountMax);
        _partials = new CpgPartialAssembler(limits.PartialSlotCount, limits.MessageLengthMax);
        _localPids = new uint[limits.LocalProcessCountMax];
        _localGroups = new int[limits.LocalProcessCountMax];
        _localStates = new CpgLocalState[limits.LocalProcessCountMax];
        _lostEvents = new uint[limits.LocalProcessCountMax];
        _joinlistSenders = new uint[limits.ProcessCountMax];
        _joinlistPids = new uint[limits.ProcessCountMax];
        _joinlistNameLengths = new int[limits.ProcessCountMax];
        _joinlistNames = new byte[limits.ProcessCountMax * MarCpgName.ValueMax];
        _scratchAddresses = new CpgAddress[limits.ProcessCountMax];
        _scratchGroups = new int[limits.ProcessCountMax];
        _scratchOneGroup = new CpgAddress[limits.ProcessCountMax];
        _scratchDistinct = new int[limits.ProcessCountMax];
        _downlist = CpgDownlistMessage.Create(0, []);
    }

    private enum SyncStep : byte
    {
        Idle,
        Downlist,
        Joinlist,
        Sent,
    }

    public int ServiceId => CpgExecFunction.ServiceId;

    public uint NodeId => _nodeId;

    /// <summary>True once CPG's sync round on the current ring activated.</summary>
    public bool IsSynced => _synced;

    /// <summary>
    /// The node's synchronisation phase. CPG reads main.c's sync_in_process there: from a configuration change until
    /// the whole synchronisation (every service, not just CPG) completed, it answers a library's join, leave and
    /// mcast with TryAgain. What it would send belongs after the last barrier, on the regular lane; sent during the
    /// synchronisation it would share the transitional lane with the sync messages and could straddle the barrier,
    /// where receivers switch reassembly buffers (a corosync receiver then keeps the half in its transitional buffer,
    /// which breaks the next synchronisation's first message from this node).
    /// </summary>
    public SyncPhase Phase => _phase;

    /// <summary>The node's synchronisation completed (corosync_sync_completed): exits deferred during it go out now.</summary>
    public void HandleSyncCompleted() => SendPendingExits();

    /// <summary>
    /// Local requests (join, leave, mcast, an exit's procleave) may go out now: CPG synced, no synchronisation running,
    /// and nothing held back from before the last ring change still waiting to go out.
    /// </summary>
    public bool AcceptsLocalRequests => _synced && !_phase.SyncInProgress && !_regularBacklog;

    /// <summary>
    /// The node stack says whether regular traffic held at the last ring change is still waiting to go out. While it
    /// is, local requests wait (TryAgain): a request queued now would sit behind the held traffic in the outbox, and a
    /// further ring change would find more than its held queue can take (docs/robustness.md, finding G7). Returns true when the
    /// backlog just cleared and waiting exits were queued.
    /// </summary>
    internal bool SetRegularBacklog(bool backlog)
    {
        bool cleared = _regularBacklog && !backlog;
        _regularBacklog = backlog;
        if (cleared && AcceptsLocalRequests)
        {
            long before = _outbox.EnqueuedTotal;
            SendPendingExits();
            return _outbox.EnqueuedTotal != before;
        }

        return false;
    }

    public CpgCounters Counters { get; } = new();

    /// <summary>Processes known cluster-wide.</summary>
    public int ProcessCount => _processes.Count;

    /// <summary>Events waiting for <see cref="PollEvent"/>.</summary>
    public int PendingEvents => _events.Count;

    /// <summary>The next event; its spans stay valid until the next call. False when none is waiting.</summary>
    public bool PollEvent(out CpgEvent ev)
    {
        if (_events.TryPoll(out ev))
        {
            return true;
        }

        // The queue has drained: a loss nothing came after yet is reported now.
        return _lostPending > 0 && AddLostReports() && _events.TryPoll(out ev);
    }

    /// <summary>
    /// The event the last <see cref="PollEvent"/> returned stays queued: the next PollEvent returns it again (its
    /// spans stay valid). A host uses this for back-pressure: a delivery its consumer has no room for waits here,
    /// ahead of every later event, instead of being lost.
    /// </summary>
    public void RetainEvent() => _events.RetainHead();

    /// <summary>
    /// Writes the members of <paramref name="groupName"/> (cpg_membership_get) into <paramref name="destination"/>,
    /// in (nodeid, pid) order; returns how many there are (which may exceed the destination's length).
    /// </summary>
    public int GetMembers(ReadOnlySpan<byte> groupName, Span<CpgAddress> destination)
    {
        int group = _groups.Find(groupName);
        if (group < 0)
        {
            return 0;
        }

        int count = 0;
        for (int i = 0; i < _processes.Count; i++)
        {
            if (_processes.Group(i) == group)
            {
                if (count < destination.Length)
                {
                    destination[count] = new CpgAddress(_processes.NodeId(i), _processes.Pid(i), CpgReason.Undefined);
                }

                count++;
            }
        }

        return count;
    }

    /// <summary>State of a local handle (Unused for a free or out-of-range handle).</summary>
    public CpgLocalState GetLocalState(int handle) =>
        (uint)handle < (uint)_localStates.Length ? _localStates[handle] : CpgLocalState.Unused;
}
