using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastTotem.Protocol.Cpg;

/// <summary>Events for local processes: confchgs (notify_lib_joinlist), deliveries, the totem confchg.</summary>
internal sealed partial class CpgService
{
    /// <summary>Local processes that receive a group's confchgs and messages: joined, or leaving but not yet gone.</summary>
    private int CountRecipients(int group)
    {
        int count = 0;
        for (int h = 0; h < _localHighWater; h++)
        {
            CpgLocalState state = _localStates[h];
            if ((state == CpgLocalState.JoinCompleted || state == CpgLocalState.LeaveStarted) && _localGroups[h] == group)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// notify_lib_joinlist: a confchg for <paramref name="group"/> to each local recipient. Members are the group's
    /// processes minus <paramref name="left"/>; a local process in <paramref name="joined"/> becomes JoinCompleted
    /// first, so it receives the confchg that announces it.
    /// </summary>
    private void NotifyGroup(int group, ReadOnlySpan<CpgAddress> joined, ReadOnlySpan<CpgAddress> left)
    {
        foreach (CpgAddress j in joined)
        {
            if (j.NodeId != _nodeId)
            {
                continue;
            }

            for (int h = 0; h < _localHighWater; h++)
            {
                if (_localStates[h] == CpgLocalState.JoinStarted && _localPids[h] == j.Pid && _localGroups[h] == group)
                {
                    _localStates[h] = CpgLocalState.JoinCompleted;
                }
            }
        }

        int recipients = CountRecipients(group);
        if (recipients == 0)
        {
            return;
        }

        int memberCount = 0;
        for (int i = 0; i < _processes.Count; i++)
        {
            if (_processes.Group(i) == group && !Contains(left, _processes.NodeId(i), _processes.Pid(i)))
            {
                memberCount++;
            }
        }

        ReadOnlySpan<byte> name = _groups.Name(group);
        int addressBytes = (memberCount + left.Length + joined.Length) * Unsafe.SizeOf<CpgAddress>();
        if (!_events.TryBegin(recipients + LostReportsFor(group), addressBytes + name.Length, out int offset))
        {
            MarkLost(group);
            return;
        }

        Span<byte> block = _events.Block(offset, addressBytes + name.Length);
        Span<CpgAddress> addresses = MemoryMarshal.Cast<byte, CpgAddress>(block.Slice(0, addressBytes));
        int k = 0;
        for (int i = 0; i < _processes.Count; i++)
        {
            if (_processes.Group(i) == group && !Contains(left, _processes.NodeId(i), _processes.Pid(i)))
            {
                addresses[k++] = new CpgAddress(_processes.NodeId(i), _processes.Pid(i), CpgReason.Undefined);
            }
        }

        left.CopyTo(addresses.Slice(k));
        joined.CopyTo(addresses.Slice(k + left.Length));
        name.CopyTo(block.Slice(addressBytes));

        CpgEventQueue.Record record = default;
        record.Kind = CpgEventKind.ConfigChange;
        record.NameOffset = offset + addressBytes;
        record.NameLength = name.Length;
        record.DataOffset = offset;
        record.DataLength = addressBytes;
        record.MemberCount = memberCount;
        record.LeftCount = left.Length;
        record.JoinedCount = joined.Length;
        AddPerRecipient(ref record, group, recipients);
    }

    /// <summary>A message for every local recipient of <paramref name="group"/>; the data is copied once.</summary>
    private void DeliverToGroup(int group, int recipients, uint nodeId, uint pid, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> name = _groups.Name(group);
        int dataBytes = (data.Length + 7) & ~7;
        if (!_events.TryBegin(recipients + LostReportsFor(group), dataBytes + name.Length, out int offset))
        {
            MarkLost(group);
            return;
        }

        Span<byte> block = _events.Block(offset, dataBytes + name.Length);
        data.CopyTo(block);
        name.CopyTo(block.Slice(dataBytes));

        CpgEventQueue.Record record = default;
        record.Kind = CpgEventKind.Deliver;
        record.NodeId = nodeId;
        record.Pid = pid;
        record.NameOffset = offset + dataBytes;
        record.NameLength = name.Length;
        record.DataOffset = offset;
        record.DataLength = data.Length;
        AddPerRecipient(ref record, group, recipients);
        Counters.Delivered++;
    }

    /// <summary>notify_lib_totem_membership: the ring CPG synced on, once for all local processes.</summary>
    private void NotifyTotemMembership()
    {
        int bytes = _memberCount * sizeof(uint);
        if (!_events.TryBegin(1 + _lostPending, bytes, out int offset))
        {
            MarkLost(-1);
            return;
        }

        if (_lostPending > 0)
        {
            // Every local process receives this one: each loss report goes before it.
            Invariant.That(AddLostReports(), "the reserve covered every pending loss report");
        }

        MemoryMarshal.AsBytes(_members.AsSpan(0, _memberCount)).CopyTo(_events.Block(offset, bytes));
        CpgEventQueue.Record record = default;
        record.Kind = CpgEventKind.TotemConfigChange;
        record.ReleasesBlock = true;
        record.LocalHandle = -1;
        record.DataOffset = offset;
        record.DataLength = bytes;
        record.RingId = _syncRingId;
        _events.Add(in record);
    }

    private void AddPerRecipient(ref CpgEventQueue.Record record, int group, int recipients)
    {
        int added = 0;
        for (int h = 0; h < _localHighWater && added < recipients; h++)
        {
            CpgLocalState state = _localStates[h];
            if ((state == CpgLocalState.JoinCompleted || state == CpgLocalState.LeaveStarted) && _localGroups[h] == group)
            {
                if (_lostEvents[h] > 0)
                {
                    AddLostReport(h);
                }

                record.LocalHandle = h;
                record.LocalPid = _localPids[h];
                record.ReleasesBlock = ++added == recipients;
                _events.Add(in record);
            }
        }
    }

    /// <summary>The event queue had no room for an event of <paramref name="group"/> (-1: of every local process):
    /// counted, and remembered per recipient until it can be told (<see cref="CpgEventKind.EventsLost"/>).</summary>
    private void MarkLost(int group)
    {
        Counters.EventOverflowDrops++;
        for (int h = 0; h < _localHighWater; h++)
        {
            CpgLocalState state = _localStates[h];
            if ((state == CpgLocalState.JoinCompleted || state == CpgLocalState.LeaveStarted) && (group < 0 || _localGroups[h] == group)
                && _lostEvents[h]++ == 0)
            {
                _lostPending++;
            }
        }
    }

    /// <summary>How many recipients of <paramref name="group"/> have a loss report due before their next event.</summary>
    private int LostReportsFor(int group)
    {
        if (_lostPending == 0)
        {
            return 0;
        }

        int count = 0;
        for (int h = 0; h < _localHighWater; h++)
        {
            if (_lostEvents[h] > 0 && _localGroups[h] == group)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Queues every pending loss report the queue has room for; true when it queued at least one.</summary>
    private bool AddLostReports()
    {
        bool any = false;
        for (int h = 0; h < _localHighWater && _lostPending > 0; h++)
        {
            if (_lostEvents[h] > 0)
            {
                if (!_events.HasRoom(1))
                {
                    break;
                }

                AddLostReport(h);
                any = true;
            }
        }

        return any;
    }

    /// <summary>An EventsLost event for local process <paramref name="handle"/> (no data block of its own).</summary>
    private void AddLostReport(int handle)
    {
        CpgEventQueue.Record record = default;
        record.Kind = CpgEventKind.EventsLost;
        record.LocalHandle = handle;
        record.LocalPid = _localPids[handle];
        record.Pid = _lostEvents[handle];
        _events.Add(in record);
        ForgetLost(handle);
    }

    private void ForgetLost(int handle)
    {
        if (_lostEvents[handle] > 0)
        {
            _lostEvents[handle] = 0;
            _lostPending--;
        }
    }

    private static bool Contains(ReadOnlySpan<CpgAddress> list, uint nodeId, uint pid)
    {
        foreach (CpgAddress a in list)
        {
            if (a.NodeId == nodeId && a.Pid == pid)
            {
                return true;
            }
        }

        return false;
    }
}
