using System.Text;
using FastTotem.Hosting;
using FastTotem.Protocol.Cpg;

namespace FastTotem;

/// <summary>
/// A member of a CPG closed process group, as a libcpg handle is, but in-process: no daemon, no IPC.
/// Members on corosync daemons (libcpg programs) and on other FastTotem nodes see it and exchange
/// messages with it in one agreed order.
/// <para>
/// <see cref="TryMulticast"/> never blocks and never allocates: it copies the message into a preallocated
/// slot of a lock-free queue the protocol thread drains. Deliveries arrive through the handler given with the join
/// (<see cref="Delivered"/>) on the protocol thread, or (<see cref="DeliveryMode.Queue"/>) in a pinned slab that one host thread reads in
/// place: <see cref="TryTakeDelivery"/> leases a delivery without copying it, <see cref="DeliveryLease.Release"/>
/// gives its memory back; <see cref="TryReceive"/> does both around a callback.
/// </para>
/// <para>
/// Back-pressure, not loss: when the slab is full the protocol thread keeps the delivery (first in CPG's event queue,
/// with every later event of the node, any group's, behind it) and retries once the host releases something
/// (<see cref="DeliveryStalls"/> counts this). The ring does not wait meanwhile: what it delivers piles up in CPG's
/// event queue (8,192 events, 8.25 MiB), and only a stall longer than that queue holds loses events: counted in
/// <see cref="TotemNode.EventOverflowDrops"/> and <see cref="LostEvents"/>, and reported where they were lost through
/// <see cref="EventsLost"/>.
/// </para>
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    private readonly TotemNode _node;
    private readonly HostSubmitQueue _sendQueue;
    private readonly DeliveryQueue? _deliveryQueue;
    private readonly DeliveryDoorbell? _doorbell;

    /// <summary>Made once, so that waiting allocates nothing.</summary>
    private static readonly Func<DeliveryQueue, bool> HasWaiting = static q => q.HasWaiting;

    /// <summary>Armed by <see cref="MulticastAsync"/> while the send queue is full; completed by the loop when it frees a slot.</summary>
    private TaskCompletionSource? _sendSpace;
    private volatile bool _closed;
    private volatile bool _stalled;
    private long _deliveryOverruns;
    private long _lostEvents;
    private long _deliveryStalls;
    private long _unconsumedDeliveries;
    private long _deliveriesHandedOut; // loop thread only
    private long _sendWaits;

    internal ProcessGroup(TotemNode node, string name, ProcessGroupOptions options, DeliverHandler? onDeliver = null)
    {
        if (options.MaxMessageSize < 1 || options.MaxMessageSize > CpgLimits.Default.MessageLengthMax)
        {
            // A larger limit would let TryMulticast return Ok for a message CPG then discards (docs/robustness.md, finding G3).
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxMessageSize must be 1 to {CpgLimits.Default.MessageLengthMax} bytes (CPG's message limit)");
        }

        _node = node;
        Name = name;
        NameBytes = Encoding.UTF8.GetBytes(name);
        Pid = options.Pid ?? (uint)Environment.ProcessId;
        Options = options;
        Delivered = onDeliver;
        _sendQueue = new HostSubmitQueue(options.SendQueueCapacity, options.MaxMessageSize);
        if (options.SendLatencyBound < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "SendLatencyBound is zero (off) or positive");
        }

        Admission = new SendAdmission((long)(options.SendLatencyBound.TotalMilliseconds * 1_000_000));
        if (options.Delivery == DeliveryMode.Queue)
        {
            _deliveryQueue = new DeliveryQueue(options.DeliveryQueueBytes);
            _doorbell = new DeliveryDoorbell();
        }
    }

    /// <summary>The group name.</summary>
    public string Name { get; }

    /// <summary>The pid this member shows to the cluster.</summary>
    public uint Pid { get; }

    /// <summary>The node this member runs on.</summary>
    public uint NodeId => _node.NodeId;

    /// <summary>The settings the group was joined with.</summary>
    public ProcessGroupOptions Options { get; }

    /// <summary>
    /// Each delivered message, on the protocol thread (<see cref="DeliveryMode.ProtocolThread"/>): the handler given
    /// to <see cref="TotemNode.JoinGroupAsync(string, DeliverHandler, ProcessGroupOptions?, CancellationToken)"/>,
    /// which may be replaced here. The span is valid only during the call; the handler must not block. A delivery
    /// that finds no handler is counted in <see cref="UnconsumedDeliveries"/> and reported on
    /// <see cref="TotemNode.Faulted"/> (the first one of the group).
    /// </summary>
    public DeliverHandler? Delivered { get; set; }

    /// <summary>
    /// Deliveries that arrived in <see cref="DeliveryMode.ProtocolThread"/> mode while no <see cref="Delivered"/>
    /// handler was set: never silent, they are counted here and in <see cref="NodeDropCounters.UnconsumedDeliveries"/>.
    /// </summary>
    public long UnconsumedDeliveries => Interlocked.Read(ref _unconsumedDeliveries);

    /// <summary>How often <see cref="MulticastAsync"/> waited for the protocol thread to free a send slot (each a wake-up, not a poll).</summary>
    public long SendWaits => Interlocked.Read(ref _sendWaits);

    /// <summary>Group membership changes (cpg_confchg_fn), on the protocol thread.</summary>
    public event Action<GroupMembership>? MembershipChanged;

    /// <summary>Ring changes after CPG's sync completed (cpg_totem_confchg_fn), on the protocol thread.</summary>
    public event Action<RingChange>? RingChanged;

    /// <summary>The latest membership of the group.</summary>
    public GroupMembership? Membership { get; private set; }

    /// <summary>
    /// Deliveries dropped because they can never fit the delivery slab (larger than
    /// <see cref="ProcessGroupOptions.DeliveryQueueBytes"/> minus a record header), or arrived after the group was
    /// left while its slab was full. A slab that is merely full loses nothing (see <see cref="DeliveryStalls"/>).
    /// </summary>
    public long DeliveryOverruns => Interlocked.Read(ref _deliveryOverruns);

    /// <summary>
    /// How often the protocol thread found the delivery slab full and held a delivery back until the host released
    /// leases (back-pressure: the delivery is kept, see the class remarks for how long).
    /// </summary>
    public long DeliveryStalls => Interlocked.Read(ref _deliveryStalls);

    /// <summary>
    /// Deliveries and membership changes for this member that CPG's event queue had no room for (a stall longer than
    /// the queue holds). Each loss is also reported through <see cref="EventsLost"/>, at the point of the event
    /// stream where it happened.
    /// </summary>
    public long LostEvents => Interlocked.Read(ref _lostEvents);

    /// <summary>
    /// Events for this member were lost here (CPG's event queue was full): the argument says how many deliveries or
    /// membership changes are missing between the previous callback and the next. On the protocol thread. In
    /// <see cref="DeliveryMode.Queue"/> the deliveries before the loss may still sit in the slab when it is raised.
    /// </summary>
    public event Action<uint>? EventsLost;

    /// <summary>Bytes of the delivery slab held by deliveries not yet released (0 in protocol-thread mode).</summary>
    public long DeliveryBytesInUse => _deliveryQueue?.BytesInUse ?? 0;

    internal byte[] NameBytes { get; }

    internal int Handle { get; set; } = -1;

    internal HostSubmitQueue SendQueue => _sendQueue;

    /// <summary>The time bound on this member's backlog (<see cref="ProcessGroupOptions.SendLatencyBound"/>).</summary>
    internal SendAdmission Admission { get; }

    internal TaskCompletionSource<bool> Joined { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The joiner gave up (cancelled, timed out): when that wins the race against the confirmation, the join is
    /// withdrawn, so no member is left in the cluster without a handle that can leave it. A join the protocol thread
    /// has not handed to CPG yet is dropped; one already sent is followed by a leave.
    /// </summary>
    internal bool TryWithdrawJoin(CancellationToken cancellationToken)
    {
        if (!Joined.TrySetCanceled(cancellationToken))
        {
            return false; // confirmed first: the caller owns the group
        }

        Leave();
        return true;
    }

    /// <summary>
    /// Queues <paramref name="message"/> for the group without blocking. <see cref="SendResult.TryAgain"/> is
    /// back-pressure (the queue is full: the ring sends at the pace of its token); nothing is ever dropped silently.
    /// </summary>
    public SendResult TryMulticast(ReadOnlySpan<byte> message)
    {
        if (_closed)
        {
            return SendResult.Closed;
        }

        if (message.Length > Options.MaxMessageSize)
        {
            return SendResult.TooLarge;
        }

        if (!Admission.TryAdmit(message.Length))
        {
            return SendResult.TryAgain;
        }

        if (!_sendQueue.TryEnqueue(message))
        {
            Admission.Withdraw(message.Length);
            return SendResult.TryAgain;
        }

        _node.Wake();
        return SendResult.Ok;
    }

    /// <summary>
    /// Queues <paramref name="message"/>, waiting asynchronously while the send queue is full. The wait ends when the
    /// protocol thread frees a slot (or the group closes): no polling.
    /// </summary>
    public async ValueTask<SendResult> MulticastAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            SendResult result = TryMulticast(message.Span);
            if (result != SendResult.TryAgain)
            {
                return result;
            }

            // Arm the signal first, then try again: a slot freed in between is seen by the retry, one freed after it
            // completes the armed signal (the loop swaps it out when it frees a slot).
            TaskCompletionSource? signal = Volatile.Read(ref _sendSpace);
            if (signal == null)
            {
                var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = Interlocked.CompareExchange(ref _sendSpace, fresh, null) ?? fresh;
            }

            result = TryMulticast(message.Span);
            if (result != SendResult.TryAgain)
            {
                return result;
            }

            if (_closed)
            {
                return SendResult.Closed;
            }

            Interlocked.Increment(ref _sendWaits);
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <see cref="DeliveryMode.Queue"/>: hands the oldest delivery to <paramref name="handler"/> on the calling thread.
    /// False when none is waiting.
    /// </summary>
    public bool TryReceive(DeliverHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        DeliveryQueue queue = _deliveryQueue ?? ThrowNotQueueMode();
        if (!queue.TryTake(out DeliveryRecord record))
        {
            return false;
        }

        try
        {
            handler(record.NodeId, record.Pid, queue.Data(record));
        }
        finally
        {
            ReleaseDelivery(record.Token);
        }

        return true;
    }

    /// <summary>
    /// <see cref="DeliveryMode.Queue"/>: leases the oldest delivery not yet taken, in agreed order. Its
    /// <see cref="DeliveryLease.Data"/> is the slab memory the protocol thread wrote (no copy) and stays valid until
    /// the lease is released; several leases may be held at once and released in any order. One thread takes
    /// (as one thread dispatches a libcpg handle); any thread may release. Never blocks, never allocates.
    /// </summary>
    public bool TryTakeDelivery(out DeliveryLease lease)
    {
        DeliveryQueue queue = _deliveryQueue ?? ThrowNotQueueMode();
        if (!queue.TryTake(out DeliveryRecord record))
        {
            lease = default;
            return false;
        }

        lease = new DeliveryLease(this, record);
        return true;
    }

    /// <summary>
    /// <see cref="DeliveryMode.Queue"/>: sleeps until a delivery waits or <paramref name="timeoutNs"/> passed (what
    /// polling libcpg's fd is); true when one waits. The taking thread calls it instead of spinning; no allocation,
    /// and the loop thread pays a system call only when this thread is actually asleep.
    /// </summary>
    public bool WaitForDelivery(long timeoutNs)
    {
        DeliveryQueue queue = _deliveryQueue ?? ThrowNotQueueMode();
        return _doorbell!.Wait(timeoutNs, queue, HasWaiting);
    }

    /// <summary>Ends the lease with <paramref name="token"/> (<see cref="DeliveryLease.Token"/>); see <see cref="DeliveryLease.Release"/>.</summary>
    public DeliveryRelease ReleaseDelivery(long token)
    {
        if (_deliveryQueue == null)
        {
            return DeliveryRelease.NotALease;
        }

        DeliveryRelease result = _deliveryQueue.Release(token);
        if (result == DeliveryRelease.Ok && _stalled)
        {
            // The protocol thread holds a delivery for want of room: let it retry now rather than at its next timer.
            _node.Wake();
        }

        return result;
    }

    internal ReadOnlySpan<byte> LeaseData(DeliveryRecord record) => _deliveryQueue!.Data(record);

    internal DeliveryQueue? Slab => _deliveryQueue;

    /// <summary>
    /// <see cref="DeliveryMode.Queue"/>: some lease taken with <see cref="TryTakeDelivery"/> is not released yet. Exact
    /// once the node is disposed; a lease's data stays valid after that for as long as the group object is reachable
    /// (the C API keeps a destroyed node's group while this is true).
    /// </summary>
    public bool HasOutstandingLeases => _deliveryQueue?.HasOutstandingLeases ?? false;

    /// <summary>Leaves the group (a procleave with reason LEAVE); members elsewhere see this member leave.</summary>
    public void Leave()
    {
        if (!_closed)
        {
            MarkClosed();
            _node.LeaveGroup(this);
        }
    }

    /// <summary>Leaves the group.</summary>
    public void Dispose() => Leave();

    /// <summary>Loop thread: one delivery. False when the slab is full and the caller must keep it and retry.</summary>
    internal bool OnDeliver(uint nodeId, uint pid, ReadOnlySpan<byte> data)
    {
        if (_deliveryQueue == null)
        {
            _deliveriesHandedOut++;
            DeliverHandler? handler = Delivered;
            if (handler == null)
            {
                _node.ReportUnconsumed(this, Interlocked.Increment(ref _unconsumedDeliveries) == 1);

                return true;
            }

            try
            {
                handler(nodeId, pid, data);
            }
            catch (Exception exception)
            {
                _node.ReportHandlerFault(exception, $"group '{Name}' {nameof(Delivered)}");
            }

            return true;
        }

        switch (_deliveryQueue.TryWrite(nodeId, pid, data))
        {
            case DeliveryWrite.Ok:
                _deliveriesHandedOut++;
                _stalled = false;
                _doorbell!.Ring();
                return true;
            case DeliveryWrite.Full when !_closed:
                if (!_stalled)
                {
                    _stalled = true;
                    Interlocked.Increment(ref _deliveryStalls);
                }

                return false;
            default:
                // Too large for the slab ever, or the group was left and nobody may drain it: waiting would stall
                // every other group of the node forever.
                _stalled = false;
                Interlocked.Increment(ref _deliveryOverruns);
                _node.CountDeliveryOverrun();
                return true;
        }
    }

    /// <summary>Loop thread: deliveries handed out so far (for <see cref="GroupMembership.DeliveriesBefore"/>).</summary>
    internal long DeliveriesHandedOut => _deliveriesHandedOut;

    internal void OnMembership(GroupMembership membership)
    {
        Membership = membership;
        try
        {
            Options.MembershipChanged?.Invoke(membership);
        }
        catch (Exception exception)
        {
            _node.ReportHandlerFault(exception, $"group '{Name}' {nameof(ProcessGroupOptions)}.{nameof(MembershipChanged)}");
        }

        try
        {
            MembershipChanged?.Invoke(membership);
        }
        catch (Exception exception)
        {
            _node.ReportHandlerFault(exception, $"group '{Name}' {nameof(MembershipChanged)}");
        }
    }

    internal void OnEventsLost(uint count)
    {
        Interlocked.Add(ref _lostEvents, count);
        try
        {
            EventsLost?.Invoke(count);
        }
        catch (Exception exception)
        {
            _node.ReportHandlerFault(exception, $"group '{Name}' {nameof(EventsLost)}");
        }
    }

    internal void OnRing(RingChange change)
    {
        try
        {
            RingChanged?.Invoke(change);
        }
        catch (Exception exception)
        {
            _node.ReportHandlerFault(exception, $"group '{Name}' {nameof(RingChanged)}");
        }
    }

    /// <summary>Loop thread: slots were freed; wakes a waiting <see cref="MulticastAsync"/> (one swap when none waits).</summary>
    internal void SignalSendSpace()
    {
        // The fence orders the freed slot before the read of the signal (a store then a load): without it a host
        // that armed the signal and retried in between could miss both.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sendSpace) != null)
        {
            Interlocked.Exchange(ref _sendSpace, null)?.TrySetResult();
        }
    }

    internal void MarkClosed()
    {
        _closed = true;
        Interlocked.Exchange(ref _sendSpace, null)?.TrySetResult(); // a waiting MulticastAsync returns Closed
    }

    /// <summary>Closes the delivery doorbell's eventfd (the node was disposed; <see cref="WaitForDelivery"/> then only checks).</summary>
    internal void CloseDoorbell() => _doorbell?.Dispose();

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static DeliveryQueue ThrowNotQueueMode() =>
        throw new InvalidOperationException("deliveries are taken only in DeliveryMode.Queue");
}
