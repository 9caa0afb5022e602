using FastTotem.Diagnostics;
using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// message_handler_orf_token: merge-detect and hold bookkeeping, then (for a fresh token of our ring) answer
    /// retransmit requests, multicast what flow control allows, update aru, run the RECOVERY install rules, forward
    /// the token and deliver.
    /// </summary>
    private void HandleOrfToken<TSource>(ReadOnlySpan<byte> datagram, ref TSource payloads)
        where TSource : struct, IPayloadSource
    {
        WireError error = _token.TryDecode(datagram);
        if (error != WireError.None)
        {
            _counters.DropBadLength++;
            return;
        }

        if (_orfTokenDiscard)
        {
            return;
        }

        OrfTokenBuffer token = _token;
        if (token.Seq == _myLastSeq)
        {
            if (!_timers.IsArmed(SrpTimer.MergeDetect))
            {
                _timers.Arm(SrpTimer.MergeDetect, _now + _mergeNs);
            }

            _mySeqUnchanged++;
        }
        else
        {
            _timers.Cancel(SrpTimer.MergeDetect);
            _timers.Cancel(SrpTimer.TokenHoldRetransmit);
            _mySeqUnchanged = 0;
        }

        _myLastSeq = token.Seq;

        // Hold (in practice: do not forward) the token when the ring is idle and we are the rep. Other members only
        // note it, so that their next message sends a token_hold_cancel.
        bool isRep = _ringId.Rep == _myId;
        _myTokenHeld = isRep
            ? _mySeqUnchanged > _config.SeqnoUnchangedConst
            : _mySeqUnchanged >= _config.SeqnoUnchangedConst;
        bool forward = !(isRep && _myTokenHeld);

        if (_state == SrpState.Commit)
        {
            return;
        }

        if (token.RingId != _ringId)
        {
            _counters.DropForeignRing++;
            return;
        }

        if (SeqMath.Lte(token.TokenSeq, _myTokenSeq))
        {
            _counters.DropDuplicateToken++;
            return;
        }

        uint holder = token.Fixed.Header.NodeId;
        if (!_membList.Contains(holder) && !_newMembList.Contains(holder))
        {
            // Only a member of the ring holds its token.
            _counters.DropMisattributed++;
            return;
        }

        if (!TokenIsPossible(token))
        {
            _counters.DropImpossibleToken++;
            return;
        }

        // Deliberate difference from corosync: messages_free runs only for a fresh token of our ring. corosync
        // also runs it for retransmitted and foreign tokens; a retransmitted copy of a token whose aru was raised
        // by its sender (aru_addr 0) then releases messages another member still lacks, and recovery can no longer
        // give them to it (virtual synchrony broken; simulator seeds 253 and 300). Only local memory is affected.
        if (_state == SrpState.Operational)
        {
            MessagesFree(token.Aru);
        }

        // A valid token: take what totempg packed, so it leaves on this very visit (token_callbacks_execute).
        PullPayloads(ref payloads);

        uint lastAru = _myLastAru;
        _myLastAru = token.Aru;

        uint transmitsAllowed = FccCalculate(token);
        uint retransmitted = OrfTokenRtr(token, ref transmitsAllowed);
        FccRtrLimit(token, ref transmitsAllowed);
        uint sent = OrfTokenMcast(token, transmitsAllowed);
        FccTokenUpdate(token, retransmitted + sent);

        if (SeqMath.Lt(_myAru, token.Aru) || _myId == token.AruAddr || token.AruAddr == 0)
        {
            token.Aru = _myAru;
            token.AruAddr = token.Aru == token.Seq ? 0 : _myId;
        }

        if (token.Aru == lastAru && token.AruAddr != 0)
        {
            _myAruCount++;
        }
        else
        {
            _myAruCount = 0;
        }

        // corosync departs from the paper here: the node that keeps holding the aru back declares itself failed.
        if (_myAruCount > _config.FailRecvConst && token.AruAddr == _myId)
        {
            _counters.FailedToReceive++;
            _failedToRecv = true;
            _failedList.Add(_myId);
            GatherEnter(GatherReason.FailedToReceive);
            return;
        }

        _myTokenSeq = token.TokenSeq;
        token.TokenSeq++;

        if (_state == SrpState.Recovery)
        {
            RecoveryTokenRules(token);
        }

        TokenSendVisit(forward, sent, token.Seq);

        if (_state == SrpState.Operational)
        {
            MessagesDeliverToApp(skip: false, _myHighSeqReceived);
        }

        _timers.Arm(SrpTimer.TokenTimeout, _now + _tokenTimeoutNs);
        _timers.Arm(SrpTimer.TokenRetransmit, _now + _tokenRetransmitNs);
        if (isRep && _myTokenHeld)
        {
            _timers.Arm(SrpTimer.TokenHoldRetransmit, _now + _holdNs);
        }
    }

    /// <summary>
    /// A fresh token of our ring must describe what this ring can have sent (docs/robustness.md): its seq is not
    /// further above our last released seq than any member's flow control lets the ring run (corosync's own bound is
    /// its 16384-entry sort queue; ours may be larger); its aru is not above its seq, nor further below it than that
    /// bound. Forwarding anything else relays poison: corosync asserts on it. (A seq below a message we hold is
    /// impossible too, but a forged mcast ahead of the ring would then make us drop every real token: not checked.)
    /// </summary>
    private bool TokenIsPossible(OrfTokenBuffer token)
    {
        uint span = (uint)Math.Max(_regular.Capacity, QueueRtrItemsSizeMax) + (uint)_config.WindowSize;
        uint released = _state == SrpState.Recovery ? 0 : _lastReleased;
        return token.Seq - released <= span
            && SeqMath.Lte(token.Aru, token.Seq)
            && token.Seq - token.Aru <= span;
    }

    /// <summary>QUEUE_RTR_ITEMS_SIZE_MAX (totemsrp.c): the sort-queue size every corosync member limits the ring by.</summary>
    private const int QueueRtrItemsSizeMax = 16384;

    /// <summary>
    /// The RECOVERY part of the token handler (docs/wire-format.md §6.2): retrans_flg stays set while anyone still has old-ring
    /// messages to send; two clear visits fix the install seq, and two further rotations with the ring's aru at the
    /// install seq install the new ring.
    /// </summary>
    private void RecoveryTokenRules(OrfTokenBuffer token)
    {
        if (!_retransQueue.IsEmpty)
        {
            if (token.RetransFlg == 0)
            {
                token.RetransFlg = 1;
                _mySetRetransFlg = true;
            }
        }
        else if (token.RetransFlg == 1 && _mySetRetransFlg)
        {
            token.RetransFlg = 0;
            _mySetRetransFlg = false;
        }

        _myRetransFlgCount = token.RetransFlg == 0 ? _myRetransFlgCount + 1 : 0;
        if (_myRetransFlgCount == 2)
        {
            _myInstallSeq = token.Seq;
        }

        if (_myRetransFlgCount >= 2 && !_myReceivedFlg && SeqMath.Lte(_myInstallSeq, _myAru))
        {
            _myReceivedFlg = true;
            _deliverMembList.CopyFrom(_transMembList.Span);
        }

        if (_myRetransFlgCount >= 3 && SeqMath.Lte(_myInstallSeq, token.Aru))
        {
            _myRotationCounter++;
        }
        else
        {
            _myRotationCounter = 0;
        }

        if (_myRotationCounter == 2)
        {
            OperationalEnter();
            _myRotationCounter = 0;
            _myRetransFlgCount = 0;
        }
    }

    /// <summary>
    /// fcc_calculate: at most max_messages, at most what the window leaves after the last rotation's sends, and
    /// less when others have a backlog (all in corosync's unsigned arithmetic).
    /// </summary>
    private uint FccCalculate(OrfTokenBuffer token)
    {
        uint window = (uint)_config.WindowSize;
        uint allowed = (uint)_config.MaxMessages;
        if (allowed > window - token.Fcc)
        {
            allowed = window - token.Fcc;
        }

        _myCbl = BacklogGet();
        uint denominator = token.Backlog + _myCbl - _myPbl;
        if (denominator != 0)
        {
            uint backlogCalc = window * _myPbl / denominator;
            if (backlogCalc > 0 && allowed > backlogCalc)
            {
                allowed = backlogCalc;
            }
        }

        if (allowed > 0 && FaultPoints.Hit(FaultPoint.SrpWindowShrunk))
        {
            allowed /= 2; // a simulation's fault point: others' backlog took half the window
        }

        return allowed;
    }

    /// <summary>backlog_get: our queue length in the states that send.</summary>
    private uint BacklogGet() => _state switch
    {
        SrpState.Operational => _phase.RegularLaneHeld ? (uint)_transQueue.Count : (uint)(_transQueue.Count + _sendQueue.Count),
        SrpState.Recovery => (uint)_retransQueue.Count,
        _ => 0,
    };

    /// <summary>
    /// fcc_rtr_limit: never let the ring's seq run past what our message store can hold; in OPERATIONAL that is
    /// also what its byte arena holds (SrpLimits.StoreSeqRunMax). RECOVERY releases nothing, so its arena is an
    /// append log and only the slots bound it.
    /// </summary>
    private void FccRtrLimit(OrfTokenBuffer token, ref uint allowed)
    {
        uint capacity = (uint)(_state == SrpState.Operational ? _limits.StoreSeqRunMax : _regular.Capacity);
        if (SeqMath.Lt(_lastReleased + capacity - allowed - (uint)_config.WindowSize, token.Seq))
        {
            allowed = 0;
        }
    }

    /// <summary>fcc_token_update.</summary>
    private void FccTokenUpdate(OrfTokenBuffer token, uint transmitted)
    {
        token.Fcc += transmitted - _myTrc;
        token.Backlog += _myCbl - _myPbl;
        _myTrc = transmitted;
        _myPbl = _myCbl;
    }

    /// <summary>
    /// orf_token_rtr: re-multicast every requested message of our ring that we hold (removing its entry), within the
    /// flow-control allowance; then request each seq we have been missing for miss_count_const visits.
    /// </summary>
    private uint OrfTokenRtr(OrfTokenBuffer token, ref uint allowed)
    {
        MessageStore store = _state == SrpState.Recovery ? _recovery : _regular;
        uint retransmitted = 0;
        int i = 0;
        while (retransmitted < allowed && i < token.RtrCount)
        {
            if (token.Rtr[i].RingId != _ringId || !store.Contains(token.Rtr[i].Seq))
            {
                i++;
                continue;
            }

            _tx.EnqueueStored(store, token.Rtr[i].Seq);
            _counters.McastRetransmitTx++;
            token.RemoveRtrAt(i);
            retransmitted++;
        }

        allowed -= retransmitted;

        uint range = token.Seq - _myAru;
        for (uint k = 1; token.RtrCount < WireLimits.RetransmitEntriesMax && k <= range; k++)
        {
            uint seq = _myAru + k;
            if (!store.InRange(seq))
            {
                break;
            }

            if (store.Contains(seq))
            {
                continue;
            }

            if (MayStillBeInFlight(seq))
            {
                // Seqs ascend: every later one was announced after this one, so none of them counts either.
                break;
            }

            if (store.IncrementMissCount(seq) < (uint)_config.MissCountConst)
            {
                continue;
            }

            bool listed = false;
            for (int j = 0; j < token.RtrCount; j++)
            {
                if (token.Rtr[j].Seq == seq)
                {
                    listed = true;
                    break;
                }
            }

            if (!listed)
            {
                token.Rtr[token.RtrCount] = new RtrItem(_ringId, seq);
                token.RtrCount++;
            }
        }

        return retransmitted;
    }

    /// <summary>
    /// orf_token_mcast: in OPERATIONAL send queued messages, in RECOVERY wrap queued old-ring messages; each takes
    /// the next ring seq, is stored, and is multicast.
    /// </summary>
    private uint OrfTokenMcast(OrfTokenBuffer token, uint allowed)
    {
        bool recovery = _state == SrpState.Recovery;
        MessageStore store = recovery ? _recovery : _regular;
        if (recovery)
        {
            _timers.Arm(SrpTimer.TokenRetransmit, _now + _tokenRetransmitNs);
        }

        uint sent = 0;
        SendQueue queue = _sendQueue;
        if (SeqMath.Lt(token.Seq, _myHighSeqReceived))
        {
            // A token behind a seq we already hold: only a forged or replayed mcast put that seq here (a real holder
            // passes the token on after its mcasts). Sending now would reuse seqs and move our aru past our highest
            // seq, so nothing new leaves on this visit; the token still rotates.
            _counters.McastBehindToken++;
            allowed = 0;
        }

        while (sent < allowed)
        {
            ReadOnlySpan<byte> payload;
            byte encapsulated;
            if (recovery)
            {
                if (_retransQueue.IsEmpty)
                {
                    break;
                }

                payload = _regular.Get(_retransQueue.Peek());
                encapsulated = TotemHeader.Encapsulated;
                if (payload.IsEmpty || payload.Length + McastHeader.Size > store.FrameSizeMax)
                {
                    _retransQueue.Dequeue();
                    continue;
                }
            }
            else
            {
                queue = ActiveSendQueue();
                if (queue.IsEmpty)
                {
                    break;
                }

                payload = queue.Peek();
                encapsulated = TotemHeader.NotEncapsulated;
            }

            uint seq = token.Seq + 1;
            int length = McastHeader.Size + payload.Length;
            if (!store.InRange(seq) || !store.TryAllocate(seq, length, keepReserve: true, out Span<byte> frame))
            {
                break;
            }

            token.Seq = seq;
            var header = new McastHeader
            {
                Header = new TotemHeader(MessageType.Mcast, _myId, encapsulated),
                SystemFrom = _myId,
                Seq = seq,
                ThisSeqno = (int)_globalSeqno++,
                RingId = _ringId,
            };
            Invariant.That(McastCodec.TryEncode(header, payload, frame, out int written) == WireError.None && written == length,
                "an mcast encodes into its store entry");
            _tx.EnqueueStored(store, seq);
            if (recovery)
            {
                _retransQueue.Dequeue();
                _counters.RecoveryMcastTx++;
            }
            else
            {
                queue.Dequeue();
                _counters.McastTx++;
            }

            if (SeqMath.Lt(_myHighSeqReceived, seq))
            {
                _myHighSeqReceived = seq;
            }

            sent++;
        }

        UpdateAru();
        return sent;
    }

    /// <summary>
    /// The queue orf_token_mcast sends from: only the transitional lane while waiting for the trans ack; after it,
    /// what the transitional lane still holds first (it was queued earlier), then the regular lane.
    /// </summary>
    private SendQueue ActiveSendQueue() =>
        _phase.RegularLaneHeld || !_transQueue.IsEmpty ? _transQueue : _sendQueue;

    /// <summary>token_send: our nodeid in the header, keep a copy for retransmission, unicast it unless held.</summary>
    private void TokenSend(bool forward)
    {
        _lastTokenLength = _token.Encode(_lastToken, _myId);
        if (!forward)
        {
            return;
        }

        _tx.EnqueueControl(_lastToken.AsSpan(0, _lastTokenLength), _tokenTarget);
        _counters.OrfTokenTx++;
    }

    /// <summary>token_retransmit: send the last token (or commit token) again.</summary>
    private void TokenRetransmit()
    {
        if (_lastTokenLength == 0)
        {
            return;
        }

        _tx.EnqueueControl(_lastToken.AsSpan(0, _lastTokenLength), _tokenTarget);
        _counters.TokenRetransmits++;
    }

    /// <summary>orf_token_send_initial: the rep's first token of a new ring (aru 0xFFFFFFFF, aru_addr = rep).</summary>
    private void OrfTokenSendInitial()
    {
        OrfTokenBuffer token = _token;
        token.Seq = 0;
        token.TokenSeq = 0;
        _mySetRetransFlg = !_retransQueue.IsEmpty;
        token.RetransFlg = _mySetRetransFlg ? 1 : 0;
        token.Aru = uint.MaxValue;
        token.AruAddr = _myId;
        token.RingId = _ringId;
        token.Fcc = 0;
        token.Backlog = 0;
        token.RtrCount = 0;
        TokenSend(forward: true);
    }

    /// <summary>
    /// The token visit's pull: the source finishes its packing, then its payloads go into the send queues until one
    /// is full. No token hold cancel here (totemsrp_mcast never sends one; only totempg's mcast_msg does, as a message
    /// arrives): what is pulled leaves in this very visit, and a cancel would re-send the previous token (dropped as a
    /// duplicate) while this one stayed held with no hold timer armed.
    /// </summary>
    private void PullPayloads<TSource>(ref TSource payloads)
        where TSource : struct, IPayloadSource
    {
        payloads.OnTokenReceived();
        Pull(ref payloads, SendLane.Transitional, _transQueue);
        Pull(ref payloads, SendLane.Regular, _sendQueue);

        void Pull(ref TSource source, SendLane lane, SendQueue queue)
        {
            while (true)
            {
                ReadOnlySpan<byte> payload = source.Peek(lane);
                if (payload.IsEmpty || payload.Length > _config.MaxPayload || !queue.TryEnqueue(payload))
                {
                    return;
                }

                source.Take(lane);
            }
        }
    }

    /// <summary>token_hold_cancel_send: only when our last token visit marked the token held.</summary>
    private void TokenHoldCancelSend()
    {
        if (!_myTokenHeld)
        {
            return;
        }

        _myTokenHeld = false;
        var message = new TokenHoldCancel { Header = new TotemHeader(MessageType.TokenHoldCancel, _myId), RingId = _ringId };
        Invariant.Encoded(TokenHoldCancelCodec.TryEncode(message, _frame, out int written), "a token hold cancel fits the frame buffer");
        _tx.EnqueueControl(_frame.AsSpan(0, written), 0);
        _counters.TokenHoldCancelTx++;

        // Our own copy comes back through the loopback: the rep re-sends the held token at once.
        OwnRingHoldCancel();
    }
}
