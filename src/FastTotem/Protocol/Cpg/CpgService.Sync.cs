using FastTotem.Wire;

namespace FastTotem.Protocol.Cpg;

/// <summary>CPG's sync round (cpg_sync_init / _process / _activate / _abort).</summary>
internal sealed partial class CpgService
{
    /// <summary>
    /// cpg_sync_init: remember the new members and work out the downlist, the old members missing from the
    /// transitional list. Local requests wait (TryAgain) until this round activates.
    /// </summary>
    public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
    {
        _synced = false;
        _syncStep = SyncStep.Downlist;
        _joinlistCount = 0;
        _memberCount = Math.Min(members.Length, _members.Length);
        members.Slice(0, _memberCount).CopyTo(_members);
        _syncRingId = ringId;

        Span<uint> ids = _downlist.NodeIds;
        int entries = 0;
        for (int i = 0; i < _oldMemberCount; i++)
        {
            if (!transitionalMembers.Contains(_oldMembers[i]))
            {
                ids[entries++] = _oldMembers[i];
            }
        }

        _downlist.LeftNodes = (uint)entries;
    }

    /// <summary>cpg_sync_process: the downlist, then the joinlist when we have processes; done once both left the outbox.</summary>
    public bool SyncProcess()
    {
        if (_syncStep == SyncStep.Downlist)
        {
            if (!_outbox.TryEnqueue(CpgDownlistMessage.Size, out Span<byte> destination))
            {
                return false;
            }

            _downlist.OldMembers = (uint)_oldMemberCount;
            Invariant.Encoded(_downlist.TryWrite(destination), "a downlist fits its outbox entry");
            _syncStep = SyncStep.Joinlist;
            _syncTicket = _outbox.EnqueuedTotal;
        }

        if (_syncStep == SyncStep.Joinlist)
        {
            if (!TryQueueJoinlist())
            {
                return false;
            }

            _syncStep = SyncStep.Sent;
            _syncTicket = _outbox.EnqueuedTotal;
        }

        return _syncStep != SyncStep.Sent || _outbox.HasSent(_syncTicket);
    }

    /// <summary>
    /// cpg_sync_activate: apply our own downlist (NODEDOWN), add the processes other nodes' joinlists announced
    /// (NODEUP), drop remote processes no joinlist confirmed (PROCDOWN), then announce the ring.
    /// </summary>
    public void SyncActivate()
    {
        _members.AsSpan(0, _memberCount).CopyTo(_oldMembers);
        _oldMemberCount = _memberCount;

        ApplyDownlist();
        ApplyJoinlists();
        _joinlistCount = 0;
        NotifyTotemMembership();

        _syncStep = SyncStep.Idle;
        _synced = true;
        SendPendingExits();
    }

    /// <summary>cpg_sync_abort: forget the joinlists of the interrupted round.</summary>
    public void SyncAbort()
    {
        _joinlistCount = 0;
        _syncStep = SyncStep.Idle;
    }

    /// <summary>cpg_exec_send_joinlist: one entry per process of ours in the process table; nothing when there is none.</summary>
    private bool TryQueueJoinlist()
    {
        int count = 0;
        for (int i = 0; i < _processes.Count; i++)
        {
            if (_processes.NodeId(i) == _nodeId)
            {
                count++;
            }
        }

        if (count == 0)
        {
            return true;
        }

        if (!_outbox.TryEnqueue(CpgJoinList.EncodedLength(count), out Span<byte> destination))
        {
            return false;
        }

        destination.Clear();
        Invariant.Encoded(CpgJoinList.TryWriteHeader(destination, count), "a joinlist header fits its outbox entry");
        int k = 0;
        for (int i = 0; i < _processes.Count; i++)
        {
            if (_processes.NodeId(i) == _nodeId)
            {
                CpgJoinListEntry entry = default;
                entry.Pid = _processes.Pid(i);
                entry.GroupName = MarCpgName.Create(_groups.Name(_processes.Group(i)));
                Invariant.Encoded(CpgJoinList.TryWriteEntry(destination, k++, in entry), "a joinlist entry fits its outbox entry");
            }
        }

        return true;
    }

    /// <summary>downlist_inform_clients: remove every process of a left node, one NODEDOWN confchg per group.</summary>
    private void ApplyDownlist()
    {
        ReadOnlySpan<uint> left = _downlist.Left;
        int n = 0;
        for (int i = 0; i < _processes.Count;)
        {
            uint nodeId = _processes.NodeId(i);
            if (left.Contains(nodeId))
            {
                // The group reference moves from the table entry to the scratch list until the confchgs are out.
                _scratchGroups[n] = _processes.Group(i);
                _scratchAddresses[n] = new CpgAddress(nodeId, _processes.Pid(i), CpgReason.NodeDown);
                n++;
                _processes.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }

        for (int s = 0; s < _partials.SlotCount; s++)
        {
            if (_partials.InUse(s) && left.Contains(_partials.NodeId(s)))
            {
                Counters.PartialDrops++;
                FreePartial(s);
            }
        }

        NotifyBatch(n, joined: false);
        for (int i = 0; i < n; i++)
        {
            _groups.Release(_scratchGroups[i]);
        }
    }

    /// <summary>joinlist_inform_clients and joinlist_remove_zombie_pi_entries.</summary>
    private void ApplyJoinlists()
    {
        // corosync keeps the stored entries newest first; walk them in that order.
        int n = 0;
        for (int k = _joinlistCount - 1; k >= 0; k--)
        {
            uint sender = _joinlistSenders[k];
            if (sender == _nodeId)
            {
                continue;
            }

            int group = AddProcess(JoinlistName(k), _joinlistPids[k], sender);
            if (group >= 0)
            {
                _scratchGroups[n] = group;
                _scratchAddresses[n] = new CpgAddress(sender, _joinlistPids[k], CpgReason.NodeUp);
                n++;
            }
        }

        NotifyBatch(n, joined: true);

        for (int i = 0; i < _processes.Count;)
        {
            uint nodeId = _processes.NodeId(i);
            uint pid = _processes.Pid(i);
            int group = _processes.Group(i);
            if (nodeId == _nodeId || IsInJoinlists(nodeId, pid, group))
            {
                i++;
                continue;
            }

            int before = _processes.Count;
            DoProcLeave(_groups.Name(group), pid, nodeId, CpgReason.ProcDown);
            if (_processes.Count == before)
            {
                i++;
            }
        }
    }

    private bool IsInJoinlists(uint nodeId, uint pid, int group)
    {
        ReadOnlySpan<byte> name = _groups.Name(group);
        for (int k = 0; k < _joinlistCount; k++)
        {
            if (_joinlistSenders[k] == nodeId && _joinlistSenders[k] != _nodeId && _joinlistPids[k] == pid && JoinlistName(k).SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One confchg per group for the first <paramref name="n"/> scratch entries, groups in name order (corosync
    /// collects them in a map keyed by name), entries of a group in the order they were collected.
    /// </summary>
    private void NotifyBatch(int n, bool joined)
    {
        int distinct = 0;
        for (int i = 0; i < n; i++)
        {
            int group = _scratchGroups[i];
            if (Array.IndexOf(_scratchDistinct, group, 0, distinct) < 0)
            {
                int at = distinct++;
                while (at > 0 && _groups.Compare(_scratchDistinct[at - 1], group) > 0)
                {
                    _scratchDistinct[at] = _scratchDistinct[at - 1];
                    at--;
                }

                _scratchDistinct[at] = group;
            }
        }

        for (int d = 0; d < distinct; d++)
        {
            int group = _scratchDistinct[d];
            int count = 0;
            for (int i = 0; i < n; i++)
            {
                if (_scratchGroups[i] == group)
                {
                    _scratchOneGroup[count++] = _scratchAddresses[i];
                }
            }

            ReadOnlySpan<CpgAddress> list = _scratchOneGroup.AsSpan(0, count);
            if (joined)
            {
                NotifyGroup(group, list, default);
            }
            else
            {
                NotifyGroup(group, default, list);
            }
        }
    }
}
