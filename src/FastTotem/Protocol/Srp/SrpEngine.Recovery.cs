using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// old_ring_state_save: on the first COMMIT after an operational ring, remember that ring and its aru and highest
    /// seq, so a failed recovery can start again from them.
    /// </summary>
    private void OldRingStateSave()
    {
        if (_oldRingStateSaved)
        {
            return;
        }

        _oldRingStateSaved = true;
        _oldRingId = _ringId;
        _oldRingStateAru = _myAru;
        _oldRingStateHighSeqReceived = _myHighSeqReceived;
    }

    /// <summary>old_ring_state_restore.</summary>
    private void OldRingStateRestore()
    {
        _myAru = _oldRingStateAru;
        _myHighSeqReceived = _oldRingStateHighSeqReceived;
    }

    /// <summary>memb_recovery_state_token_loss.</summary>
    private void RecoveryTokenLoss()
    {
        OldRingStateRestore();
        GatherEnter(GatherReason.TokenLostRecovery);
        _counters.TokenLostRecovery++;
    }

    /// <summary>
    /// memb_state_recovery_enter: send the commit token on its second lap, compute the transitional membership
    /// (members of the new ring that came from our old ring), and if any of them missed old-ring messages queue every
    /// old-ring message above the lowest aru for re-sending inside new-ring messages.
    /// </summary>
    private void RecoveryEnter(CommitTokenBuffer ct)
    {
        _orfTokenDiscard = false;
        _myHighRingDelivered = 0;
        _recovery.Reset(0);
        _retransQueue.Clear();
        uint lowRingAru = _oldRingStateHighSeqReceived;

        CommitTokenSend(ct);
        _myTokenSeq = uint.MaxValue;

        // Transitional configuration: old members, in old-ring order, whose entry names our old ring.
        _transMembList.Clear();
        ReadOnlySpan<uint> oldMembers = _membList.Span;
        ReadOnlySpan<uint> newMembers = _newMembList.Span;
        for (int i = 0; i < oldMembers.Length; i++)
        {
            int j = newMembers.IndexOf(oldMembers[i]);
            if (j >= 0 && ct.Entries[j].RingId == _oldRingId)
            {
                _transMembList.Add(oldMembers[i]);
            }
        }

        bool localReceivedFlg = true;
        for (int i = 0; i < ct.AddrEntries; i++)
        {
            if (_transMembList.Contains(newMembers[i]) && ct.Entries[i].ReceivedFlg == 0)
            {
                _deliverMembList.CopyFrom(_transMembList.Span);
                localReceivedFlg = false;
                break;
            }
        }

        if (!localReceivedFlg)
        {
            for (int i = 0; i < ct.AddrEntries; i++)
            {
                if (_deliverMembList.Contains(newMembers[i]) && ct.Entries[i].RingId == _oldRingId)
                {
                    if (SeqMath.Lt(ct.Entries[i].Aru, lowRingAru))
                    {
                        lowRingAru = ct.Entries[i].Aru;
                    }

                    if (SeqMath.Lt(_myHighRingDelivered, ct.Entries[i].HighDelivered))
                    {
                        _myHighRingDelivered = ct.Entries[i].HighDelivered;
                    }
                }
            }

            uint range = _oldRingStateHighSeqReceived - lowRingAru;
            for (uint i = 1; i <= range && i <= (uint)_regular.Capacity; i++)
            {
                uint oldSeq = lowRingAru + i;
                if (_regular.Contains(oldSeq) && _retransQueue.TryEnqueue(oldSeq))
                {
                    _counters.RecoveryMessagesOriginated++;
                }
            }
        }

        _myAru = 0;
        _myAruCount = 0;
        _mySeqUnchanged = 0;
        _myHighSeqReceived = 0;
        _myInstallSeq = 0;
        _lastReleased = 0;

        // Deliberate difference from corosync: memb_state_recovery_enter resets my_install_seq but not
        // my_retrans_flg_count or my_rotation_counter, which only the install in message_handler_orf_token clears.
        // After a failed recovery (token loss or a join, back to GATHER) the count is still >= 2, so it never
        // equals 2 again to fix the install seq, the install seq stays 0, and the ring is installed two rotations
        // later even though members are still missing recovery messages: virtual synchrony broken (simulator seed
        // 177) or old-ring messages of a live node never delivered (self-delivery and liveness, seeds 268, 871).
        // Both counters are local: the wire format is unchanged, only a premature install is prevented.
        _myRetransFlgCount = 0;
        _myRotationCounter = 0;
        _timers.Arm(SrpTimer.TokenTimeout, _now + _tokenTimeoutNs);
        _timers.Arm(SrpTimer.TokenRetransmit, _now + _tokenRetransmitNs);
        _state = SrpState.Recovery;
        _counters.RecoveryEntered++;
        CheckInvariants();
    }

    /// <summary>
    /// deliver_messages_from_recovery_to_regular: unwrap the recovery messages of the new ring and put every inner
    /// message of our old ring into the old ring's queue at its old seq.
    /// </summary>
    private void DeliverMessagesFromRecoveryToRegular()
    {
        uint range = _myAru;
        for (uint i = 1; i <= range && i <= (uint)_recovery.Capacity; i++)
        {
            ReadOnlySpan<byte> outer = _recovery.Get(i);
            if (McastCodec.TryDecode(outer, out McastHeader outerHeader, out ReadOnlySpan<byte> inner, out _) != WireError.None
                || !outerHeader.IsEncapsulated
                || McastCodec.TryDecode(inner, out McastHeader innerHeader, out _, out _) != WireError.None
                || innerHeader.RingId != _oldRingId)
            {
                continue;
            }

            uint innerSeq = innerHeader.Seq;
            if (_regular.InRange(innerSeq) && !_regular.Contains(innerSeq)
                && (innerHeader.Header.NodeId == _myId || innerHeader.SystemFrom == _myId
                    || !IsListed(innerHeader.Header.NodeId) || !IsListed(innerHeader.SystemFrom)))
            {
                // We hold every old-ring message we sent that recovery can still carry: one "of ours" we lack is
                // forged (it would be delivered as our own). Unlisted originators are refused as everywhere else.
                _counters.DropMisattributed++;
                continue;
            }

            if (_regular.InRange(innerSeq) && !_regular.Contains(innerSeq))
            {
                if (!_regular.TryAdd(innerSeq, inner, keepReserve: false))
                {
                    _counters.DropStoreFull++;
                    continue;
                }

                if (SeqMath.Lt(_oldRingStateHighSeqReceived, innerSeq))
                {
                    _oldRingStateHighSeqReceived = innerSeq;
                }
            }
        }
    }

    /// <summary>
    /// memb_state_operational_enter: deliver what is left of the old ring, the transitional configuration, the
    /// recovered messages of transitional members, and the regular configuration; then the new ring's queue becomes
    /// the regular one.
    /// </summary>
    private void OperationalEnter()
    {
        StandardMode();
        _originatedOrfToken = false;
        _consensusSet.Clear();
        _oldRingStateSaved = false;
        DeliverMessagesFromRecoveryToRegular();

        uint aruSave = _myAru;
        _myAru = _oldRingStateAru;
        MessagesDeliverToApp(skip: false, _oldRingStateHighSeqReceived);

        _leftMembList.SetDifference(_membList.Span, _transMembList.Span);
        _joinedList.SetDifference(_newMembList.Span, _transMembList.Span);
        _membList.CopyFrom(_newMembList.Span);
        _lastReleased = 0;
        _mySetRetransFlg = false;

        _events.EnqueueConfigChange(
            ConfigChangeKind.Transitional, _ringId, _transMembList.Span, _leftMembList.Span, default);

        // Hold the regular lane until the synchronisation of the new ring is done (memb_state_operational_enter
        // sets waiting_trans_ack): what was queued before the change must not reach receivers while they reassemble
        // in their transitional buffers, or a fragment chain begun in the old ring is thrown away there.
        _phase.RingInstalled(_ringId);

        MessagesDeliverToApp(skip: true, _oldRingStateHighSeqReceived);
        _myAru = aruSave;

        _events.EnqueueConfigChange(
            ConfigChangeKind.Regular, _ringId, _newMembList.Span, default, _joinedList.Span);

        // The recovery queue becomes the regular queue (sq_copy in corosync; a swap here). The old ring's queue
        // keeps the messages just delivered readable until the caller has polled them.
        (_regular, _recovery) = (_recovery, _regular);
        _myLastAru = 0;
        _procList.CopyFrom(_newMembList.Span);
        _failedList.Clear();

        // The recovery messages of the new ring were unwrapped above; count them as delivered and release them. Only
        // up to my_aru: recovery ends when every member holds everything through the install seq (≤ my_aru), so a
        // message stored above my_aru is one no member sent (a forged or corrupted seq). corosync takes
        // my_high_seq_received here, which would mark the seqs in between delivered before the ring sends them.
        uint high = SeqMath.Lt(_myAru, _myHighSeqReceived) ? _myAru : _myHighSeqReceived;
        if (high != _myHighSeqReceived)
        {
            _counters.RecoveryMessagesAboveAru++;
        }

        while (high != 0 && !_regular.Contains(high))
        {
            high--;
        }

        _myHighDelivered = high;
        if (high != 0)
        {
            _regular.ReleaseThrough(high);
        }

        _lastReleased = high;
        _leaveMembList.Clear();
        _state = SrpState.Operational;
        _counters.OperationalEntered++;
        _myReceivedFlg = true;
        _oldRingId = _ringId;
        CheckInvariants();
    }
}
