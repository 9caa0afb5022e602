using System.Buffers.Binary;
using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

public sealed partial class SrpEngine
{
    /// <summary>
    /// Header checks and dispatch by type (check_message_header_validity and main_deliver_fn). Foreign-endian
    /// datagrams are accepted and read with swapped fields, receiver-makes-right, except token_hold_cancel which
    /// corosync never converts.
    /// </summary>
    private void Dispatch(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < SrpFrame.HeaderSize)
        {
            _counters.DropTruncated++;
            return;
        }

        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(datagram);
        if (magic != TotemHeader.MagicValue && magic != TotemHeader.MagicSwapped)
        {
            _counters.DropBadMagic++;
            return;
        }

        if (datagram[2] != TotemHeader.VersionValue)
        {
            _counters.DropBadVersion++;
            return;
        }

        bool swap = magic == TotemHeader.MagicSwapped;
        if (swap)
        {
            _counters.ForeignEndianRx++;
        }

        var type = (MessageType)datagram[SrpFrame.HeaderTypeOffset];
        if (type > MessageType.TokenHoldCancel)
        {
            _counters.DropUnknownType++;
            return;
        }

        // Our own "mcast"-path datagrams were already handled through the internal loopback; a driver that loops
        // them back as the kernel does must not make us process them twice.
        uint headerNodeId = SrpFrame.ReadU32(datagram, SrpFrame.HeaderNodeIdOffset, swap);
        if (headerNodeId == _myId && type != MessageType.OrfToken && type != MessageType.MembCommitToken)
        {
            _counters.DropOwnLoopback++;
            return;
        }

        switch (type)
        {
            case MessageType.OrfToken:
                _counters.OrfTokenRx++;
                HandleOrfToken(datagram);
                break;
            case MessageType.Mcast:
                _counters.McastRx++;
                HandleMcast(datagram, swap);
                break;
            case MessageType.MembMergeDetect:
                _counters.MergeDetectRx++;
                HandleMergeDetect(datagram, swap);
                break;
            case MessageType.MembJoin:
                _counters.JoinRx++;
                HandleJoin(datagram, swap);
                break;
            case MessageType.MembCommitToken:
                _counters.CommitTokenRx++;
                HandleCommitToken(datagram);
                break;
            case MessageType.TokenHoldCancel:
                _counters.TokenHoldCancelRx++;
                HandleTokenHoldCancel(datagram, swap);
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
            HandleJoin(_ownJoin.AsSpan(0, _ownJoinLength), swap: false);
        }
    }

    /// <summary>message_handler_mcast.</summary>
    private void HandleMcast(ReadOnlySpan<byte> datagram, bool swap)
    {
        if (datagram.Length < SrpFrame.McastHeaderSize)
        {
            _counters.DropBadLength++;
            return;
        }

        bool encapsulated = datagram[SrpFrame.HeaderEncapsulatedOffset] == TotemHeader.Encapsulated;
        MembRingId ringId = SrpFrame.ReadRingId(datagram, SrpFrame.McastRingIdOffset, swap);
        if (ringId != _ringId)
        {
            uint from = SrpFrame.ReadU32(datagram, SrpFrame.McastSystemFromOffset, swap);
            ForeignMessage(from);
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
        int limit = encapsulated ? store.SlotSize : store.SlotSize - SrpFrame.McastHeaderSize;
        if (datagram.Length > limit)
        {
            _counters.DropTooLarge++;
            return;
        }

        uint seq = SrpFrame.ReadU32(datagram, SrpFrame.McastSeqOffset, swap);
        if (store.InRange(seq) && !store.Contains(seq))
        {
            store.Add(seq, datagram);
            if (SeqMath.Lt(_myHighSeqReceived, seq))
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
    private void ForeignMessage(uint from)
    {
        switch (_state)
        {
            case SrpState.Operational:
                _procList.Add(from);
                GatherEnter();
                break;
            case SrpState.Gather:
                if (!_procList.Contains(from))
                {
                    _procList.Add(from);
                    GatherEnter();
                }

                break;
            default:
                _counters.DropForeignRing++;
                break;
        }
    }

    /// <summary>message_handler_memb_merge_detect.</summary>
    private void HandleMergeDetect(ReadOnlySpan<byte> datagram, bool swap)
    {
        if (datagram.Length < SrpFrame.MergeDetectSize)
        {
            _counters.DropBadLength++;
            return;
        }

        MembRingId ringId = SrpFrame.ReadRingId(datagram, SrpFrame.MergeRingIdOffset, swap);
        if (ringId == _ringId)
        {
            return;
        }

        ForeignMessage(SrpFrame.ReadU32(datagram, SrpFrame.MergeSystemFromOffset, swap));
    }

    /// <summary>message_handler_token_hold_cancel. The ring id is compared raw, as corosync does.</summary>
    private void HandleTokenHoldCancel(ReadOnlySpan<byte> datagram, bool swap)
    {
        if (datagram.Length < SrpFrame.HoldCancelSize)
        {
            _counters.DropBadLength++;
            return;
        }

        if (swap || SrpFrame.ReadRingId(datagram, SrpFrame.HoldCancelRingIdOffset, swap: false) != _ringId)
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
