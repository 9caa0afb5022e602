using FastTotem.Wire;

namespace FastTotem.Protocol.Cpg;

/// <summary>The exec handlers of cpg.c: what a CPG message from any node (ourselves included) does here.</summary>
internal sealed partial class CpgService
{
    /// <summary>One CPG exec message from group "a", as delivered in agreed order (our own come back too).</summary>
    public void HandleExec(uint senderNodeId, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (QbIpcRequestHeader.TryReadId(message, foreignEndian, out int id) != WireError.None)
        {
            Counters.MalformedDrops++;
            return;
        }

        switch (id & 0xFFFF)
        {
            case CpgExecFunction.Mcast:
                HandleMcast(senderNodeId, message, foreignEndian);
                return;
            case CpgExecFunction.PartialMcast:
                HandlePartialMcast(senderNodeId, message, foreignEndian);
                return;
            case CpgExecFunction.ProcJoin:
            case CpgExecFunction.ProcLeave:
                HandleProcJoinLeave(senderNodeId, message, foreignEndian, (id & 0xFFFF) == CpgExecFunction.ProcJoin);
                return;
            case CpgExecFunction.JoinList:
                HandleJoinlist(senderNodeId, message, foreignEndian);
                return;
            case CpgExecFunction.Downlist:
                if (CountMalformed(CpgDownlistMessage.TryRead(message, foreignEndian, out _)))
                {
                    Counters.DownlistsReceived++;
                }

                return;
            case CpgExecFunction.DownlistOld:
                CountMalformed(CpgDownlistOldMessage.TryRead(message, out _));
                return;
            default:
                Counters.UnknownFunctionDrops++;
                return;
        }
    }

    /// <summary>Counts any decode failure of a message without a group name as malformed; true when it decoded.</summary>
    private bool CountMalformed(WireError error)
    {
        if (error == WireError.None)
        {
            return true;
        }

        Counters.MalformedDrops++;
        return false;
    }

    /// <summary>Counts a decode failure of a message with a group name (CountTooLarge is a name over 128 bytes); true when it decoded.</summary>
    private bool Count(WireError error)
    {
        switch (error)
        {
            case WireError.None:
                return true;
            case WireError.CountTooLarge:
                Counters.BadNameDrops++;
                return false;
            default:
                Counters.MalformedDrops++;
                return false;
        }
    }

    /// <summary>message_handler_req_exec_cpg_mcast.</summary>
    private void HandleMcast(uint sender, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (!Count(CpgMcastMessage.TryRead(message, foreignEndian, out CpgMcastMessage mcast, out ReadOnlySpan<byte> data)))
        {
            return;
        }

        int group = _groups.Find(mcast.GroupName.Name);
        int recipients = group < 0 ? 0 : CountRecipients(group);
        if (recipients == 0)
        {
            Counters.NotForUs++;
            return;
        }

        if (!_processes.HasNodeInGroup(sender, group))
        {
            Counters.UnknownSenderDrops++;
            return;
        }

        DeliverToGroup(group, recipients, sender, mcast.Pid, data);
    }

    /// <summary>message_handler_req_exec_cpg_partial_mcast, plus libcpg's reassembly of the pieces.</summary>
    private void HandlePartialMcast(uint sender, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (!Count(CpgPartialMcastMessage.TryRead(message, foreignEndian, out CpgPartialMcastMessage partial, out ReadOnlySpan<byte> piece)))
        {
            return;
        }

        if (partial.Type < CpgPartialMcastMessage.TypeFirst || partial.Type > CpgPartialMcastMessage.TypeLast)
        {
            Counters.MalformedDrops++;
            return;
        }

        int group = _groups.Find(partial.GroupName.Name);
        int recipients = group < 0 ? 0 : CountRecipients(group);
        if (recipients == 0)
        {
            Counters.NotForUs++;
            return;
        }

        if (!_processes.HasNodeInGroup(sender, group))
        {
            Counters.UnknownSenderDrops++;
            return;
        }

        int slot = _partials.Find(sender, partial.Pid, group);
        if (partial.Type == CpgPartialMcastMessage.TypeFirst)
        {
            if (slot >= 0)
            {
                // The previous message of this sender never got its LAST piece.
                Counters.PartialDrops++;
                FreePartial(slot);
            }

            if (partial.MsgLen > (uint)_limits.MessageLengthMax)
            {
                Counters.PartialDrops++;
                return;
            }

            slot = _partials.Start(sender, partial.Pid, group, (int)partial.MsgLen);
            if (slot < 0)
            {
                Counters.PartialDrops++;
                return;
            }

            _groups.AddRef(group);
        }
        else if (slot < 0)
        {
            Counters.PartialDrops++;
            return;
        }

        if (!_partials.Append(slot, piece, partial.MsgLen))
        {
            Counters.PartialDrops++;
            FreePartial(slot);
            return;
        }

        if (partial.Type != CpgPartialMcastMessage.TypeLast)
        {
            return;
        }

        if (_partials.IsComplete(slot))
        {
            DeliverToGroup(group, recipients, sender, partial.Pid, _partials.Message(slot));
        }
        else
        {
            Counters.PartialDrops++;
        }

        FreePartial(slot);
    }

    private void FreePartial(int slot)
    {
        _groups.Release(_partials.Group(slot));
        _partials.Free(slot);
    }

    /// <summary>message_handler_req_exec_cpg_procjoin / _procleave.</summary>
    private void HandleProcJoinLeave(uint sender, ReadOnlySpan<byte> message, bool foreignEndian, bool join)
    {
        if (!Count(CpgProcJoinMessage.TryRead(message, foreignEndian, out CpgProcJoinMessage procjoin)))
        {
            return;
        }

        if (join)
        {
            DoProcJoin(procjoin.GroupName.Name, procjoin.Pid, sender, CpgReason.Join);
        }
        else
        {
            DoProcLeave(procjoin.GroupName.Name, procjoin.Pid, sender, (CpgReason)procjoin.Reason);
        }
    }

    /// <summary>do_proc_join without a batch: record the process and tell the group at once.</summary>
    private void DoProcJoin(ReadOnlySpan<byte> name, uint pid, uint nodeId, CpgReason reason)
    {
        int group = AddProcess(name, pid, nodeId);
        if (group < 0)
        {
            return;
        }

        Span<CpgAddress> joined = _scratchOneGroup.AsSpan(0, 1);
        joined[0] = new CpgAddress(nodeId, pid, reason);
        NotifyGroup(group, joined, default);
    }

    /// <summary>The process-table half of do_proc_join; the group index, or -1 when known already or no room.</summary>
    private int AddProcess(ReadOnlySpan<byte> name, uint pid, uint nodeId)
    {
        int existing = _groups.Find(name);
        if (existing >= 0 && _processes.IndexOf(nodeId, pid, existing) >= 0)
        {
            return -1;
        }

        if (nodeId != _nodeId && ProcessesOf(nodeId) >= _limits.ProcessesPerNodeMax)
        {
            Counters.NodeShareDrops++;
            return -1;
        }

        int group = _groups.Acquire(name);
        if (group < 0)
        {
            Counters.TableFullDrops++;
            return -1;
        }

        if (!_processes.Insert(nodeId, pid, group))
        {
            _groups.Release(group);
            Counters.TableFullDrops++;
            return -1;
        }

        return group;
    }

    /// <summary>
    /// do_proc_leave: tell the group (corosync tells it even about a process it did not know), then forget the
    /// process. Our own process that asked to leave is done with once its procleave is back.
    /// </summary>
    private void DoProcLeave(ReadOnlySpan<byte> name, uint pid, uint nodeId, CpgReason reason)
    {
        int group = _groups.Find(name);
        if (group < 0)
        {
            return;
        }

        _groups.AddRef(group);
        Span<CpgAddress> left = _scratchOneGroup.AsSpan(0, 1);
        left[0] = new CpgAddress(nodeId, pid, reason);
        NotifyGroup(group, default, left);

        int index = _processes.IndexOf(nodeId, pid, group);
        if (index >= 0)
        {
            _processes.RemoveAt(index);
            _groups.Release(group);
        }

        // A process that leaves (or whose client died) halfway through a partial message never sends its LAST
        // piece: free its slot, or a few such leaves pin them all (docs/robustness.md, finding G5). Counted as a partial drop.
        int partial = _partials.Find(nodeId, pid, group);
        if (partial >= 0)
        {
            Counters.PartialDrops++;
            FreePartial(partial);
        }

        if (nodeId == _nodeId)
        {
            for (int h = 0; h < _localHighWater; h++)
            {
                if (_localStates[h] == CpgLocalState.LeaveStarted && _localPids[h] == pid && _localGroups[h] == group)
                {
                    FreeLocal(h);
                }
            }
        }

        _groups.Release(group);
    }

    /// <summary>
    /// message_handler_req_exec_cpg_joinlist: store each entry for this round's activation. Only a round's joinlists
    /// are believed: corosync sends them from cpg_sync_process only, so one outside a synchronisation, or from a node
    /// that is not a member of the ring being synchronised, is forged or stale and would otherwise be applied at the next
    /// activation (docs/robustness.md, finding D7). A sender's entries beyond its share are dropped, counted.
    /// </summary>
    private void HandleJoinlist(uint sender, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (!Count(CpgJoinList.TryParse(message, foreignEndian, out _, out int entries)))
        {
            return;
        }

        Counters.JoinlistsReceived++;
        if (_syncStep == SyncStep.Idle)
        {
            Counters.JoinlistOutsideSyncDrops++;
            return;
        }

        if (!_members.AsSpan(0, _memberCount).Contains(sender))
        {
            Counters.JoinlistNonMemberDrops++;
            return;
        }

        int stored = 0;
        for (int k = 0; k < _joinlistCount; k++)
        {
            stored += _joinlistSenders[k] == sender ? 1 : 0;
        }

        for (int i = 0; i < entries; i++)
        {
            if (!Count(CpgJoinList.TryReadEntry(message, i, foreignEndian, out CpgJoinListEntry entry)))
            {
                continue;
            }

            if (sender != _nodeId && stored >= _limits.ProcessesPerNodeMax)
            {
                Counters.NodeShareDrops += entries - i;
                return;
            }

            if (_joinlistCount == _joinlistSenders.Length)
            {
                Counters.TableFullDrops++;
                return;
            }

            stored++;

            int k = _joinlistCount++;
            _joinlistSenders[k] = sender;
            _joinlistPids[k] = entry.Pid;
            ReadOnlySpan<byte> name = entry.GroupName.Name;
            _joinlistNameLengths[k] = name.Length;
            name.CopyTo(_joinlistNames.AsSpan(k * MarCpgName.ValueMax));
        }
    }

    private ReadOnlySpan<byte> JoinlistName(int k) => _joinlistNames.AsSpan(k * MarCpgName.ValueMax, _joinlistNameLengths[k]);

    /// <summary>Processes of <paramref name="nodeId"/> in the process table.</summary>
    private int ProcessesOf(uint nodeId)
    {
        int count = 0;
        for (int i = 0; i < _processes.Count; i++)
        {
            count += _processes.NodeId(i) == nodeId ? 1 : 0;
        }

        return count;
    }
}
