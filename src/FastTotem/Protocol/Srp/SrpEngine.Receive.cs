using FastTotem.Diagnostics;
using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// Header checks and dispatch by type (check_message_header_validity and main_deliver_fn). Foreign-endian
    /// datagrams are accepted and read with swapped fields, receiver-makes-right, except token_hold_cancel which
    /// corosync never converts.
    /// </summary>
    private void Dispatch<TSource>(ReadOnlySpan<byte> datagram, ref TSource payloads)
        where TSource : struct, IPayloadSource
    {
        WireError error = TotemDatagram.TryParse(datagram, out TotemHeader header, out bool swap);
        switch (error)
        {
            case WireError.None:
                break;
            case WireError.Truncated:
                _counters.DropTruncated++;
                return;
            case WireError.BadMagic:
                _counters.DropBadMagic++;
                return;
            case WireError.BadVersion:
                _counters.DropBadVersion++;
                return;
            default:
                _counters.DropUnknownType++;
                return;
        }

        if (swap)
        {
            _counters.ForeignEndianRx++;
        }

        MessageType type = header.Type;

        // Our own "mcast"-path datagrams were already handled through the internal loopback; a driver that loops
        // them back as the kernel does must not make us process them twice.
        if (header.NodeId == _myId && type != MessageType.OrfToken && type != MessageType.MembCommitToken)
        {
            _counters.DropOwnLoopback++;
            return;
        }

        if (!IdentityAdmits(header, datagram))
        {
            return;
        }

        switch (type)
        {
            case MessageType.OrfToken:
                _counters.OrfTokenRx++;
                HandleOrfToken(datagram, ref payloads);
                break;
            case MessageType.Mcast:
                _counters.McastRx++;
                HandleMcast(datagram);
                break;
            case MessageType.MembMergeDetect:
                _counters.MergeDetectRx++;
                HandleMergeDetect(datagram);
                break;
            case MessageType.MembJoin:
                _counters.JoinRx++;
                HandleJoin(datagram);
                break;
            case MessageType.MembCommitToken:
                _counters.CommitTokenRx++;
                HandleCommitToken(datagram);
                break;
            case MessageType.TokenHoldCancel:
                _counters.TokenHoldCancelRx++;
                HandleTokenHoldCancel(datagram);
                break;
        }
    }

    /// <summary>
    /// Processes our own join as corosync does when the kernel loops it back to us: after the handler that sent it
    /// has finished.
    /// </summary>
    private void ProcessLoopback()
    {
        for (int guard = 0; guard < 8 && _ownJoinPending && IsRunning; guard++)
        {
            _ownJoinPending = false;
            HandleJoin(_ownJoin.AsSpan(0, _ownJoinLength));
        }
    }

    /// <summary>message_handler_mcast.</summary>
    private void HandleMcast(ReadOnlySpan<byte> datagram)
    {
        if (McastCodec.TryDecode(datagram, out McastHeader header, out _, out _) != WireError.None)
        {
            _counters.DropBadLength++;
            return;
        }

        bool encapsulated = header.IsEncapsulated;
        if (header.RingId != _ringId)
        {
            ForeignMessage(header.SystemFrom, mergeDetect: false);
            return;
        }

        // A regular message of the new ring can only come from a node that is already OPERATIONAL; keeping it out
        // of the old ring's queue protects the old-ring positions, and it is re-requested once we are operational.
        if (_state == SrpState.Recovery && !encapsulated)
        {
            _counters.DropForeignRing++;
            return;
        }

        MessageStore store = encapsulated ? _recovery : _regular;
        int limit = encapsulated ? store.FrameSizeMax : store.FrameSizeMax - McastHeader.Size;
        if (datagram.Length > limit)
        {
            _counters.DropTooLarge++;
            return;
        }

        uint seq = header.Seq;
        if (store.InRange(seq) && !store.Contains(seq))
        {
            // Only the next seq we lack may take the store's reserve: then a full arena cannot stop the aru.
            bool keepReserve = seq != _myAru + 1;
            if ((keepReserve && FaultPoints.Hit(FaultPoint.SrpStoreFull)) || !store.TryAdd(seq, datagram, keepReserve))
            {
                _counters.DropStoreFull++;
            }
            else if (SeqMath.Lt(_myHighSeqReceived, seq))
            {
                _myHighSeqReceived = seq;
            }
        }

        UpdateAru();
        if (_state == SrpState.Operational)
        {
            MessagesDeliverToApp(skip: false, _myHighSeqReceived);
        }
    }

    /// <summary>
    /// A mcast or merge detect from another ring: OPERATIONAL adds the sender and gathers, GATHER does so only for a
    /// sender it did not know, COMMIT and RECOVERY drop it.
    /// </summary>
    private void ForeignMessage(uint from, bool mergeDetect)
    {
        switch (_state)
        {
            case SrpState.Operational:
                _procList.Add(from);
                GatherEnter(mergeDetect ? GatherReason.MergeOperational : GatherReason.ForeignMessageOperational);
                break;
            case SrpState.Gather:
                if (!_procList.Contains(from))
                {
                    _procList.Add(from);
                    GatherEnter(mergeDetect ? GatherReason.MergeGather : GatherReason.ForeignMessageGather);
                }

                break;
            default:
                _counters.DropForeignRing++;
                break;
        }
    }

    /// <summary>message_handler_memb_merge_detect.</summary>
    private void HandleMergeDetect(ReadOnlySpan<byte> datagram)
    {
        if (MembMergeDetectCodec.TryDecode(datagram, out MembMergeDetect message) != WireError.None)
        {
            _counters.DropBadLength++;
            return;
        }

        if (message.RingId == _ringId)
        {
            return;
        }

        ForeignMessage(message.SystemFrom, mergeDetect: true);
    }

    /// <summary>message_handler_token_hold_cancel. The ring id is compared raw, as corosync does.</summary>
    private void HandleTokenHoldCancel(ReadOnlySpan<byte> datagram)
    {
        if (TokenHoldCancelCodec.TryDecode(datagram, out TokenHoldCancel message) != WireError.None)
        {
            _counters.DropBadLength++;
            return;
        }

        if (message.RingId != _ringId)
        {
            return;
        }

        OwnRingHoldCancel();
    }

    private void OwnRingHoldCancel()
    {
        _mySeqUnchanged = 0;
        if (_ringId.Rep == _myId)
        {
            TokenRetransmitTimerExpired();
        }
    }
}
