using FastTotem.Protocol.Cpg;

namespace FastTotem;

/// <summary>Where a <see cref="ProcessGroup"/>'s deliveries go.</summary>
public enum DeliveryMode
{
    /// <summary>
    /// The delivery handler given to <see cref="TotemNode.JoinGroupAsync(string, DeliverHandler, ProcessGroupOptions?, CancellationToken)"/>
    /// runs on the protocol thread; it must not block.
    /// </summary>
    ProtocolThread,

    /// <summary>Deliveries wait in a lock-free queue that one host thread drains with <see cref="ProcessGroup.TryReceive"/>.</summary>
    Queue,
}

/// <summary>Per-group settings.</summary>
public sealed class ProcessGroupOptions
{
    /// <summary>The CPG "pid" this member shows to the cluster; defaults to this process's id.</summary>
    public uint? Pid { get; init; }

    /// <summary>Largest message <see cref="ProcessGroup.TryMulticast"/> accepts (up to CPG's 4 MiB). Default 64 KiB.</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024;

    /// <summary>Messages that can wait in the send queue (a power of two). Default 256.</summary>
    public int SendQueueCapacity { get; init; } = 256;

    /// <summary>
    /// How long a message may wait in this member's queues before the ring delivers it, at the rate the ring has been
    /// delivering this member's messages: past it <see cref="ProcessGroup.TryMulticast"/> answers
    /// <see cref="SendResult.TryAgain"/>, so a flooding sender meets back-pressure instead of a queue hundreds of
    /// milliseconds long. A floor of 64 KiB in flight is always admitted, which keeps the ring busy.
    /// <see cref="TimeSpan.Zero"/> turns the bound off (only <see cref="SendQueueCapacity"/> and the ring's own
    /// queues limit the backlog). Default 4 ms.
    /// </summary>
    public TimeSpan SendLatencyBound { get; init; } = TimeSpan.FromMilliseconds(4);

    /// <summary>Where deliveries go. Default: a callback on the protocol thread.</summary>
    public DeliveryMode Delivery { get; init; } = DeliveryMode.ProtocolThread;

    /// <summary>Bytes of the delivery queue in <see cref="DeliveryMode.Queue"/> mode. Default 16 MiB.</summary>
    public int DeliveryQueueBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Group membership changes (cpg_confchg_fn), on the protocol thread, from the very first one (this member's own
    /// join): given with the join, so none can come before the handler exists. Also raised on
    /// <see cref="ProcessGroup.MembershipChanged"/>. Must not block.
    /// </summary>
    public Action<GroupMembership>? MembershipChanged { get; init; }
}

/// <summary>A delivered group message: valid only during the callback (or until the next <see cref="ProcessGroup.TryReceive"/>).</summary>
/// <param name="nodeId">The sending node.</param>
/// <param name="pid">The sending member's pid.</param>
/// <param name="data">The message.</param>
public delegate void DeliverHandler(uint nodeId, uint pid, ReadOnlySpan<byte> data);

/// <summary>One member of a process group, as libcpg's struct cpg_address.</summary>
/// <param name="NodeId">The member's node.</param>
/// <param name="Pid">The member's pid.</param>
/// <param name="Reason">Why it joined or left (in <see cref="GroupMembership.Joined"/> and <see cref="GroupMembership.Left"/>).</param>
public readonly record struct GroupMember(uint NodeId, uint Pid, CpgReason Reason);

/// <summary>A group membership change, as libcpg's cpg_confchg_fn reports it.</summary>
/// <param name="Group">The group name.</param>
/// <param name="Members">Every member after the change.</param>
/// <param name="Left">Members that left, with the reason (LEAVE, NODEDOWN, PROCDOWN).</param>
/// <param name="Joined">Members that joined, with the reason (JOIN, NODEUP).</param>
public sealed record GroupMembership(string Group, GroupMember[] Members, GroupMember[] Left, GroupMember[] Joined)
{
    /// <summary>
    /// How many of the group's deliveries came before this change in agreed order (handed to the delivery handler,
    /// or written to the delivery slab in <see cref="DeliveryMode.Queue"/> mode): a queue-mode host that has taken
    /// that many deliveries has reached the point of this change.
    /// </summary>
    public long DeliveriesBefore { get; init; }
}

/// <summary>A ring (totem) configuration change, as libcpg's cpg_totem_confchg_fn or corosync's confchg reports it.</summary>
/// <param name="Kind">Transitional or regular.</param>
/// <param name="RingId">The ring the change is about.</param>
/// <param name="Members">Members of the configuration.</param>
/// <param name="Left">Nodes that left.</param>
/// <param name="Joined">Nodes that joined.</param>
public sealed record RingChange(RingChangeKind Kind, RingId RingId, uint[] Members, uint[] Left, uint[] Joined)
{
    /// <summary>True for a regular configuration.</summary>
    [Obsolete("use Kind == RingChangeKind.Regular")]
    public bool Regular => Kind == RingChangeKind.Regular;

    /// <summary>The ring representative's nodeid.</summary>
    [Obsolete("use RingId.Rep")]
    public uint RingRep => RingId.Rep;

    /// <summary>The ring sequence number.</summary>
    [Obsolete("use RingId.Seq")]
    public ulong RingSeq => RingId.Seq;
}

/// <summary>Outcome of <see cref="DeliveryLease.Release"/> and <see cref="ProcessGroup.ReleaseDelivery"/>.</summary>
public enum DeliveryRelease
{
    /// <summary>The lease ended; its slab memory may be reused.</summary>
    Ok,

    /// <summary>The lease was released before (a double release); nothing changed.</summary>
    AlreadyReleased,

    /// <summary>No lease of this group carries this token (never taken, or forged).</summary>
    NotALease,
}
