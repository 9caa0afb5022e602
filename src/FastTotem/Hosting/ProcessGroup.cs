using System.Text;

namespace FastTotem.Hosting;

/// <summary>
/// A member of a CPG closed process group, as a libcpg handle is, but in-process: no daemon, no IPC.
/// Members on corosync daemons (libcpg programs) and on other FastTotem nodes see it and exchange
/// messages with it in one agreed order.
/// <para>
/// <see cref="TryMulticast"/> never blocks and never allocates: it copies the message into a preallocated
/// slot of a lock-free queue the protocol thread drains. Deliveries arrive through <see cref="Delivered"/>
/// on the protocol thread, or through <see cref="TryReceive"/> on a thread of the host's choosing.
/// </para>
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    private readonly TotemNode _node;
    private readonly HostSubmitQueue _sendQueue;
    private readonly DeliveryQueue? _deliveryQueue;
    private readonly SemaphoreSlim _sendSpace = new(0);
    private volatile bool _closed;
    private long _deliveryOverruns;

    internal ProcessGroup(TotemNode node, string name, ProcessGroupOptions options)
    {
        _node = node;
        Name = name;
        NameBytes = Encoding.UTF8.GetBytes(name);
        Pid = options.Pid ?? (uint)Environment.ProcessId;
        Options = options;
        _sendQueue = new HostSubmitQueue(options.SendQueueCapacity, options.MaxMessageSize);
        if (options.Delivery == DeliveryMode.Queue)
        {
            _deliveryQueue = new DeliveryQueue(options.DeliveryQueueBytes);
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
    /// Each delivered message, on the protocol thread (<see cref="DeliveryMode.ProtocolThread"/>). The span is
    /// valid only during the call; the handler must not block.
    /// </summary>
    public DeliverHandler? Delivered { get; set; }

    /// <summary>Group membership changes (cpg_confchg_fn), on the protocol thread.</summary>
    public event Action<GroupMembership>? MembershipChanged;

    /// <summary>Ring changes after CPG's sync completed (cpg_totem_confchg_fn), on the protocol thread.</summary>
    public event Action<RingChange>? RingChanged;

    /// <summary>The latest membership of the group.</summary>
    public GroupMembership? Membership { get; private set; }

    /// <summary>Deliveries that did not fit the delivery queue (the host did not drain it in time).</summary>
    public long DeliveryOverruns => Interlocked.Read(ref _deliveryOverruns);

    internal byte[] NameBytes { get; }

    internal int Handle { get; set; } = -1;

    internal HostSubmitQueue SendQueue => _sendQueue;

    internal TaskCompletionSource<bool> Joined { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

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

        if (!_sendQueue.TryEnqueue(message))
        {
            return SendResult.TryAgain;
        }

        _node.Wake();
        return SendResult.Ok;
    }

    /// <summary>Queues <paramref name="message"/>, waiting asynchronously while the send queue is full.</summary>
    public async ValueTask<SendResult> MulticastAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            SendResult result = TryMulticast(message.Span);
            if (result != SendResult.TryAgain)
            {
                return result;
            }

            await _sendSpace.WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <see cref="DeliveryMode.Queue"/>: hands the oldest delivery to <paramref name="handler"/> on the calling thread.
    /// False when none is waiting.
    /// </summary>
    public bool TryReceive(DeliverHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_deliveryQueue == null)
        {
            throw new InvalidOperationException("TryReceive needs DeliveryMode.Queue");
        }

        if (!_deliveryQueue.TryPeek(out uint nodeId, out uint pid, out ReadOnlySpan<byte> data))
        {
            return false;
        }

        handler(nodeId, pid, data);
        _deliveryQueue.Release();
        return true;
    }

    /// <summary>Leaves the group (a procleave with reason LEAVE); members elsewhere see this member leave.</summary>
    public void Leave()
    {
        if (!_closed)
        {
            _closed = true;
            _node.LeaveGroup(this);
        }
    }

    /// <summary>Leaves the group.</summary>
    public void Dispose() => Leave();

    internal void OnDeliver(uint nodeId, uint pid, ReadOnlySpan<byte> data)
    {
        if (_deliveryQueue != null)
        {
            if (!_deliveryQueue.TryWrite(nodeId, pid, data))
            {
                Interlocked.Increment(ref _deliveryOverruns);
            }

            return;
        }

        Delivered?.Invoke(nodeId, pid, data);
    }

    internal void OnMembership(GroupMembership membership)
    {
        Membership = membership;
        MembershipChanged?.Invoke(membership);
    }

    internal void OnRing(RingChange change) => RingChanged?.Invoke(change);

    internal void SignalSendSpace()
    {
        if (_sendSpace.CurrentCount == 0)
        {
            _sendSpace.Release();
        }
    }

    internal void MarkClosed() => _closed = true;
}
