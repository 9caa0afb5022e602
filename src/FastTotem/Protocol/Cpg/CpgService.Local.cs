using FastTotem.Wire;

namespace FastTotem.Protocol.Cpg;

/// <summary>Requests from local processes (the lib handlers of cpg.c): join, leave, exit, multicast.</summary>
internal sealed partial class CpgService
{
    /// <summary>
    /// message_handler_req_lib_cpg_join: <paramref name="pid"/> (a process-group handle id the host assigns) joins
    /// <paramref name="groupName"/>. On Ok a procjoin is queued and <paramref name="handle"/> names the local process;
    /// it sees its group once that procjoin comes back (a ConfigChange with itself in Joined).
    /// </summary>
    public CpgResult Join(ReadOnlySpan<byte> groupName, uint pid, out int handle)
    {
        handle = -1;
        if (groupName.Length > MarCpgName.ValueMax)
        {
            return CpgResult.NameTooLong;
        }

        int existing = _groups.Find(groupName);
        if (existing >= 0)
        {
            for (int h = 0; h < _localHighWater; h++)
            {
                if (_localStates[h] != CpgLocalState.Unused && _localStates[h] != CpgLocalState.ExitPending
                    && _localPids[h] == pid && _localGroups[h] == existing)
                {
                    return CpgResult.Exists;
                }
            }

            // A leave of the same (pid, group) that has not come back yet.
            if (_processes.IndexOf(_nodeId, pid, existing) >= 0)
            {
                return CpgResult.TryAgain;
            }
        }

        if (!AcceptsLocalRequests)
        {
            return CpgResult.TryAgain;
        }

        int slot = FindFreeLocalSlot(out bool draining);
        if (slot < 0)
        {
            // Every free handle still has events of its previous process queued: free once the host polled them.
            return draining ? CpgResult.TryAgain : CpgResult.NoResources;
        }

        int group = _groups.Acquire(groupName);
        if (group < 0)
        {
            return CpgResult.NoResources;
        }

        if (!TryQueueJoinLeave(CpgExecFunction.ProcJoin, groupName, pid, CpgReason.Join))
        {
            _groups.Release(group);
            return CpgResult.QueueFull;
        }

        _localPids[slot] = pid;
        _localGroups[slot] = group;
        _localStates[slot] = CpgLocalState.JoinStarted;
        ForgetLost(slot);
        handle = slot;
        _localHighWater = Math.Max(_localHighWater, slot + 1);
        return CpgResult.Ok;
    }

    /// <summary>message_handler_req_lib_cpg_leave: queues a procleave (reason LEAVE) for a joined handle.</summary>
    public CpgResult Leave(int handle)
    {
        switch (GetLocalState(handle))
        {
            case CpgLocalState.JoinCompleted:
                break;
            case CpgLocalState.JoinStarted:
                return CpgResult.Busy;
            default:
                return CpgResult.NotExist;
        }

        if (!AcceptsLocalRequests)
        {
            return CpgResult.TryAgain;
        }

        if (!TryQueueJoinLeave(CpgExecFunction.ProcLeave, _groups.Name(_localGroups[handle]), _localPids[handle], CpgReason.Leave))
        {
            return CpgResult.QueueFull;
        }

        _localStates[handle] = CpgLocalState.LeaveStarted;
        return CpgResult.Ok;
    }

    /// <summary>
    /// cpg_lib_exit_fn: the local process is gone (finalize or crash). Unless it was already leaving, a procleave
    /// with reason PROCDOWN tells the cluster; during a synchronisation that procleave waits for its end. The handle
    /// receives nothing more and is free once the procleave left.
    /// </summary>
    public CpgResult ProcessExit(int handle)
    {
        switch (GetLocalState(handle))
        {
            case CpgLocalState.Unused:
            case CpgLocalState.ExitPending:
                return CpgResult.NotExist;
            case CpgLocalState.LeaveStarted:
                FreeLocal(handle);
                return CpgResult.Ok;
        }

        _localStates[handle] = CpgLocalState.ExitPending;
        SendPendingExits();
        return CpgResult.Ok;
    }

    /// <summary>
    /// message_handler_req_lib_cpg_mcast, with libcpg's split: a message up to 1 MiB − 1,024 bytes goes out as one
    /// mcast; a longer one as partial_mcast pieces of that size (FIRST, CONTINUED…, LAST), all queued or none.
    /// <see cref="SendResult.TryAgain"/> while CPG synchronises or the outbox is full, <see cref="SendResult.Closed"/> for
    /// a handle that is not joined (or is leaving).
    /// </summary>
    public SendResult TryMcast(int handle, ReadOnlySpan<byte> data)
    {
        CpgLocalState state = GetLocalState(handle);
        if (state != CpgLocalState.JoinStarted && state != CpgLocalState.JoinCompleted)
        {
            return SendResult.Closed;
        }

        if (!AcceptsLocalRequests)
        {
            return SendResult.TryAgain;
        }

        if (data.Length > _limits.MessageLengthMax)
        {
            return SendResult.TooLarge;
        }

        if (data.Length <= CpgLimits.PieceLengthMax)
        {
            return TryQueueMcast(handle, data) ? SendResult.Ok : SendResult.TryAgain;
        }

        int pieces = 0;
        for (int offset = 0; offset < data.Length; offset += CpgLimits.PieceLengthMax)
        {
            int length = Math.Min(CpgLimits.PieceLengthMax, data.Length - offset);
            uint type = offset == 0 ? CpgPartialMcastMessage.TypeFirst
                : offset + length == data.Length ? CpgPartialMcastMessage.TypeLast
                : CpgPartialMcastMessage.TypeContinued;
            if (!TryQueuePartial(handle, data.Slice(offset, length), (uint)data.Length, type))
            {
                _outbox.RollbackTail(pieces);
                return SendResult.TryAgain;
            }

            pieces++;
        }

        return SendResult.Ok;
    }

    /// <summary>The value we put in source.conn: a local identifier no receiver reads (corosync puts its IPC connection pointer there).</summary>
    internal static ulong SourceConn(int handle) => (ulong)(handle + 1);

    private bool TryQueueJoinLeave(int function, ReadOnlySpan<byte> groupName, uint pid, CpgReason reason)
    {
        if (!_outbox.TryEnqueue(CpgProcJoinMessage.Size, out Span<byte> destination))
        {
            return false;
        }

        CpgProcJoinMessage message = default;
        message.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(CpgExecFunction.ServiceId, function), CpgProcJoinMessage.Size);
        message.GroupName = MarCpgName.Create(groupName);
        message.Pid = pid;
        message.Reason = (uint)reason;
        Invariant.Encoded(message.TryWrite(destination), "a procjoin fits its outbox entry");
        return true;
    }

    private bool TryQueueMcast(int handle, ReadOnlySpan<byte> data)
    {
        if (!_outbox.TryEnqueue(CpgMcastMessage.Size + data.Length, out Span<byte> destination))
        {
            return false;
        }

        CpgMcastMessage message = default;
        message.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(CpgExecFunction.ServiceId, CpgExecFunction.Mcast), CpgMcastMessage.Size + data.Length);
        message.GroupName = MarCpgName.Create(_groups.Name(_localGroups[handle]));
        message.MsgLen = (uint)data.Length;
        message.Pid = _localPids[handle];
        message.Source.NodeId = _nodeId;
        message.Source.Conn = SourceConn(handle);
        Invariant.Encoded(message.TryWrite(destination, data, out _), "an mcast fits its outbox entry");
        return true;
    }

    private bool TryQueuePartial(int handle, ReadOnlySpan<byte> piece, uint total, uint type)
    {
        if (!_outbox.TryEnqueue(CpgPartialMcastMessage.Size + piece.Length, out Span<byte> destination))
        {
            return false;
        }

        CpgPartialMcastMessage message = default;
        message.Header = new QbIpcRequestHeader(
            QbIpcRequestHeader.MakeId(CpgExecFunction.ServiceId, CpgExecFunction.PartialMcast), CpgPartialMcastMessage.Size + piece.Length);
        message.GroupName = MarCpgName.Create(_groups.Name(_localGroups[handle]));
        message.MsgLen = total;
        message.FragLen = (uint)piece.Length;
        message.Pid = _localPids[handle];
        message.Type = type;
        message.Source.NodeId = _nodeId;
        message.Source.Conn = SourceConn(handle);
        Invariant.Encoded(message.TryWrite(destination, piece, out _), "a partial mcast fits its outbox entry");
        return true;
    }

    /// <summary>Sends the PROCDOWN procleaves of processes that exited while local sending was not allowed.</summary>
    private void SendPendingExits()
    {
        if (!AcceptsLocalRequests)
        {
            return;
        }

        for (int h = 0; h < _localHighWater; h++)
        {
            if (_localStates[h] == CpgLocalState.ExitPending)
            {
                if (!TryQueueJoinLeave(CpgExecFunction.ProcLeave, _groups.Name(_localGroups[h]), _localPids[h], CpgReason.ProcDown))
                {
                    return;
                }

                FreeLocal(h);
            }
        }
    }

    /// <summary>
    /// An unused handle no queued event refers to. A handle freed by its process's leave still has that leave's confchg
    /// (and maybe deliveries) waiting for the host, routed by handle: given to a new join at once, those events would
    /// reach the new process, and the leave's confchg would tell the host that the new member left.
    /// </summary>
    private int FindFreeLocalSlot(out bool draining)
    {
        draining = false;
        for (int h = 0; h < _localStates.Length; h++)
        {
            if (_localStates[h] != CpgLocalState.Unused)
            {
                continue;
            }

            if (!_events.HasEventsFor(h))
            {
                return h;
            }

            draining = true;
        }

        return -1;
    }

    private void FreeLocal(int handle)
    {
        _groups.Release(_localGroups[handle]);
        _localStates[handle] = CpgLocalState.Unused;
        _localPids[handle] = 0;
        _localGroups[handle] = -1;
    }
}
