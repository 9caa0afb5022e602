using System.Buffers.Binary;
using FastTotem.Wire;

namespace FastTotem.Protocol.Sync;

/// <summary>Receiving service_build and barrier messages (sync_deliver_fn and its two handlers, sync.c).</summary>
internal sealed partial class SyncEngine
{
    /// <summary>
    /// A message of group "sync" from <paramref name="senderNodeId"/>, in delivery order. Sync converts nothing
    /// for a foreign-endian sender: its ids and ring ids compare raw and do not match, so the message is ignored,
    /// as corosync ignores it.
    /// </summary>
    public void HandleMessage(uint senderNodeId, ReadOnlySpan<byte> message)
    {
        if (message.Length < QbIpcRequestHeader.Size)
        {
            MalformedMessages++;
            return;
        }

        switch (BinaryPrimitives.ReadInt32LittleEndian(message))
        {
            case SyncMessageId.Barrier:
                if (SyncBarrierMessage.TryRead(message, out SyncBarrierMessage barrier) != WireError.None)
                {
                    MalformedMessages++;
                    return;
                }

                HandleBarrier(senderNodeId, barrier.RingId);
                break;
            case SyncMessageId.ServiceBuild:
                if (SyncServiceBuildMessage.TryRead(message, out SyncServiceBuildMessage build) != WireError.None)
                {
                    MalformedMessages++;
                    return;
                }

                HandleServiceBuild(senderNodeId, in build);
                break;
            default:
                UnexpectedMessages++;
                break;
        }
    }

    void Pg.IPgGroupHandler.OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) =>
        HandleMessage(nodeId, payload);

    /// <summary>sync_service_build_handler.</summary>
    private void HandleServiceBuild(uint sender, in SyncServiceBuildMessage build)
    {
        if (_ringId.IsZero || build.RingId != _ringId)
        {
            OldRingMessages++;
            return;
        }

        if (State != SyncState.ServiceListBuild)
        {
            // corosync would merge a late list into a round already processing; every member sends exactly
            // one per ring, so only a duplicate can get here.
            UnexpectedMessages++;
            return;
        }

        bool added = false;
        foreach (int id in build.Services)
        {
            if (_serviceIds.AsSpan(0, _serviceCount).Contains(id))
            {
                continue;
            }

            if (_serviceCount == ServiceListMax)
            {
                UnexpectedMessages++;
                break;
            }

            // A service this node lacks: a no-op entry, so the barrier count matches the other members'.
            _serviceIds[_serviceCount++] = id;
            added = true;
        }

        if (added)
        {
            _serviceIds.AsSpan(0, _serviceCount).Sort();
        }

        for (int i = 0; i < _memberCount; i++)
        {
            if (_members[i] == sender)
            {
                foreach (int id in build.Services)
                {
                    if ((uint)id <= ServiceIdMax)
                    {
                        _listedIds[i] |= 1UL << id;
                    }
                }
            }
        }

        if (MarkReceived(sender))
        {
            _listsComplete = true;
            ProcessEnter();
        }
    }

    /// <summary>sync_barrier_handler.</summary>
    private void HandleBarrier(uint sender, MembRingId ringId)
    {
        if (_ringId.IsZero || ringId != _ringId)
        {
            OldRingMessages++;
            return;
        }

        if (State is not (SyncState.Process or SyncState.Barrier) || _processingIndex >= _serviceCount)
        {
            UnexpectedMessages++;
            return;
        }

        if (!MarkReceived(sender))
        {
            return;
        }

        LocalService(_serviceIds[_processingIndex])?.SyncActivate();
        _processingIndex++;
        if (_processingIndex == _serviceCount)
        {
            Complete();
        }
        else
        {
            ProcessEnter();
        }
    }

    /// <summary>Marks a member as heard from; true when every member has been.</summary>
    private bool MarkReceived(uint sender)
    {
        for (int i = 0; i < _memberCount; i++)
        {
            if (_members[i] == sender)
            {
                _received[i] = true;
            }
        }

        for (int i = 0; i < _memberCount; i++)
        {
            if (!_received[i])
            {
                return false;
            }
        }

        return true;
    }
}
