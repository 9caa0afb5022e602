using FastTotem.Wire;

namespace FastTotem.Protocol.Cpg;

/// <summary>
/// One event for the host, from <see cref="CpgService.PollEvent"/>. Its spans stay valid until the next
/// PollEvent call. Deliver and ConfigChange name the local recipient; TotemConfigChange is for every local process.
/// </summary>
internal readonly ref struct CpgEvent
{
    internal CpgEvent(
        CpgEventKind kind,
        int localHandle,
        uint localPid,
        ReadOnlySpan<byte> groupName,
        uint nodeId,
        uint pid,
        ReadOnlySpan<byte> data,
        ReadOnlySpan<CpgAddress> members,
        ReadOnlySpan<CpgAddress> left,
        ReadOnlySpan<CpgAddress> joined,
        MembRingId ringId,
        ReadOnlySpan<uint> totemMembers)
    {
        Kind = kind;
        LocalHandle = localHandle;
        LocalPid = localPid;
        GroupName = groupName;
        NodeId = nodeId;
        Pid = pid;
        Data = data;
        Members = members;
        Left = left;
        Joined = joined;
        RingId = ringId;
        TotemMembers = totemMembers;
    }

    public CpgEventKind Kind { get; }

    /// <summary>The local process this event is for (its handle from Join); -1 for TotemConfigChange.</summary>
    public int LocalHandle { get; }

    public uint LocalPid { get; }

    public ReadOnlySpan<byte> GroupName { get; }

    /// <summary>Deliver: the sending node.</summary>
    public uint NodeId { get; }

    /// <summary>Deliver: the sending process.</summary>
    public uint Pid { get; }

    /// <summary>EventsLost: how many events for this local process were lost here (0 for other kinds).</summary>
    public uint LostCount => Kind == CpgEventKind.EventsLost ? Pid : 0;

    /// <summary>Deliver: the application message (whole, also when it came as partial_mcast pieces).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>ConfigChange: the group's members after the change, in (nodeid, pid) order.</summary>
    public ReadOnlySpan<CpgAddress> Members { get; }

    public ReadOnlySpan<CpgAddress> Left { get; }

    public ReadOnlySpan<CpgAddress> Joined { get; }

    /// <summary>TotemConfigChange: the ring CPG synced on.</summary>
    public MembRingId RingId { get; }

    /// <summary>TotemConfigChange: the ring's members.</summary>
    public ReadOnlySpan<uint> TotemMembers { get; }
}
