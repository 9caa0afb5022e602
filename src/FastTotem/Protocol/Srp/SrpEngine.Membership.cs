using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// memb_state_gather_enter: discard tokens, make sure we are in our proc list, multicast a join, (re)start the
    /// join and consensus timers, stop the token timers and start a new consensus round with only ourselves.
    /// The reason is counted and reported as an event, as corosync logs it.
    /// </summary>
    private void GatherEnter(GatherReason reason)
    {
        StandardMode();
        _orfTokenDiscard = true;
        _originatedOrfToken = false;
        _procList.Add(_myId);
        JoinMessageSend();
        _timers.Arm(SrpTimer.Join, _now + _joinNs);
        _timers.Arm(SrpTimer.Consensus, _now + _consensusNs);
        _timers.Cancel(SrpTimer.TokenRetransmit);
        _timers.Cancel(SrpTimer.TokenTimeout);
        _timers.Cancel(SrpTimer.MergeDetect);
        _consensusSet.Clear();
        _consensusSet.Add(_myId);
        _state = SrpState.Gather;
        _counters.GatherEntered++;
        _counters.GatherByReason[(int)reason]++;
        _counters.LastGatherReason = reason;
        _events.EnqueueGather(reason, _ringId);
        CheckInvariants();
    }

    /// <summary>memb_join_message_send: our proc and failed lists and current ring seq, to every node.</summary>
    private void JoinMessageSend()
    {
        int length = EncodeJoin(_frame, _myId, _procList.Span, _failedList.Span);
        _tx.EnqueueControl(_frame.AsSpan(0, length), 0);
        _counters.JoinTx++;

        // The kernel would loop it back to us; keep the newest copy to process when this call finishes.
        _frame.AsSpan(0, length).CopyTo(_ownJoin);
        _ownJoinLength = length;
        _ownJoinPending = true;
    }

    /// <summary>
    /// memb_leave_message_send: a join with header nodeid 0, proc without us and failed with us as the last entry.
    /// </summary>
    private void LeaveMessageSend()
    {
        _failedList.Add(_myId);
        _scratchSet.SetDifference(_procList.Span, [_myId]);
        int length = EncodeJoin(_frame, 0, _scratchSet.Span, _failedList.Span);
        _tx.EnqueueControl(_frame.AsSpan(0, length), 0);
        _counters.JoinTx++;
    }

    private int EncodeJoin(Span<byte> buffer, uint headerNodeId, ReadOnlySpan<uint> proc, ReadOnlySpan<uint> failed)
    {
        var join = new MembJoin
        {
            Header = new TotemHeader(MessageType.MembJoin, headerNodeId),
            SystemFrom = _myId,
            RingSeq = _ringId.Seq,
        };
        Invariant.Encoded(MembJoinCodec.TryEncode(join, proc, failed, buffer, out int written), "a join fits the frame buffer");
        return written;
    }

    /// <summary>memb_merge_detect_transmit.</summary>
    private void MergeDetectTransmit()
    {
        var message = new MembMergeDetect
        {
            Header = new TotemHeader(MessageType.MembMergeDetect, _myId),
            SystemFrom = _myId,
            RingId = _ringId,
        };
        Invariant.Encoded(MembMergeDetectCodec.TryEncode(message, _frame, out int written), "a merge detect fits the frame buffer");
        _tx.EnqueueControl(_frame.AsSpan(0, written), 0);
        _counters.MergeDetectTx++;
    }

    /// <summary>How far a join's ring_seq may lie above <see cref="_ringSeqHighKnown"/> and still count.</summary>
    private const ulong RingSeqJumpMax = 1UL << 32;

    /// <summary>A stored seq at or above this is taken for a poisoning, not history.</summary>
    private const ulong RingSeqPoisonedFrom = 1UL << 63;

    /// <summary>message_handler_memb_join: validate, raise the highest ring seq seen, then act by state.</summary>
    private void HandleJoin(ReadOnlySpan<byte> datagram)
    {
        if (MembJoinCodec.TryDecode(datagram, out MembJoin join, _joinProc, _joinFailed) != WireError.None)
        {
            _counters.DropBadLength++;
            return;
        }

        uint headerNodeId = join.Header.NodeId;
        uint from = join.SystemFrom;
        ulong ringSeq = join.RingSeq;
        ReadOnlySpan<uint> proc = _joinProc.AsSpan(0, (int)join.ProcListEntries);
        ReadOnlySpan<uint> failed = _joinFailed.AsSpan(0, (int)join.FailedListEntries);

        // A LEAVE from ourselves (a driver looping it back) means nothing to us.
        if (headerNodeId == 0 && from == _myId)
        {
            _counters.DropOwnLoopback++;
            return;
        }

        if (ringSeq > _ringSeqHighKnown && ringSeq - _ringSeqHighKnown > RingSeqJumpMax)
        {
            // Only a forger jumps this far: following it would make the next ring's seq wrap (and be persisted).
            _counters.RingSeqPoisonIgnored++;
        }
        else if (_tokenRingIdSeq < ringSeq)
        {
            _tokenRingIdSeq = ringSeq;
        }

        switch (_state)
        {
            case SrpState.Operational:
                if (!IgnoreJoinUnderOperational(from, ringSeq, failed))
                {
                    JoinProcess(headerNodeId, from, proc, failed);
                }

                break;
            case SrpState.Gather:
                JoinProcess(headerNodeId, from, proc, failed);
                break;
            case SrpState.Commit:
                if (_newMembList.Contains(from) && ringSeq >= _ringId.Seq)
                {
                    JoinProcess(headerNodeId, from, proc, failed);
                    GatherEnter(GatherReason.JoinCommit);
                }

                break;
            case SrpState.Recovery:
                if (_newMembList.Contains(from) && ringSeq >= _ringId.Seq)
                {
                    JoinProcess(headerNodeId, from, proc, failed);
                    RecoveryTokenLoss();
                    GatherEnter(GatherReason.JoinRecovery);
                }

                break;
        }
    }

    /// <summary>
    /// ignore_join_under_operational: a join that lists us as failed, or a stale join (older ring seq) from a
    /// current member.
    /// </summary>
    private bool IgnoreJoinUnderOperational(uint from, ulong ringSeq, ReadOnlySpan<uint> failed)
    {
        if (failed.Contains(_myId))
        {
            return true;
        }

        return _membList.Contains(from) && ringSeq < _ringId.Seq;
    }

    /// <summary>memb_join_process: consensus bookkeeping, commit token creation, or merging the sender's view.</summary>
    private void JoinProcess(uint headerNodeId, uint from, ReadOnlySpan<uint> proc, ReadOnlySpan<uint> failed)
    {
        bool isLeave = headerNodeId == 0;
        if (isLeave && failed.Length > 0)
        {
            // The leaving node is the last failed entry; it is reported as "left", not "failed".
            _leaveMembList.Add(failed[^1]);
        }

        bool gatherEntered = false;
        if (NodeSet.SetEqual(proc, _procList.Span) && NodeSet.SetEqual(failed, _failedList.Span))
        {
            if (!isLeave)
            {
                _consensusSet.Add(from);
            }

            if (ConsensusAgreed() && _failedToRecv)
            {
                // Every node agreed that we failed to receive: form a ring of our own.
                _failedToRecv = false;
                _procList.Clear();
                _procList.Add(_myId);
                _failedList.Clear();
                if (CommitTokenCreate())
                {
                    CommitEnter();
                }

                return;
            }

            if (ConsensusAgreed() && LowestInConfig() && CommitTokenCreate())
            {
                CommitEnter();
            }
        }
        else if (NodeSet.IsSubset(proc, _procList.Span) && NodeSet.IsSubset(failed, _failedList.Span))
        {
            // The sender knows less than we do; it will catch up from our joins.
        }
        else if (_failedList.Contains(from))
        {
            // We consider the sender failed.
        }
        else
        {
            int procBefore = _procList.Count;
            int failedBefore = _failedList.Count;
            _procList.Merge(proc);
            if (failed.Contains(_myId))
            {
                _failedList.Add(from);
            }
            else if (_membList.Contains(from))
            {
                if (!_failedList.Contains(from))
                {
                    _failedList.Merge(failed);
                }
                else
                {
                    _scratchSet.SetDifference(failed, _membList.Span);
                    _failedList.Merge(_scratchSet.Span);
                }
            }

            // Deliberate difference from corosync: a join that taught us nothing (our lists did not grow) does not
            // restart GATHER while we are gathering. corosync re-enters GATHER for it, which re-sends an identical
            // join and restarts the consensus timer; two nodes whose failed lists differ (and which cannot merge
            // each other's, not being old ring-mates) then answer each other forever and consensus never expires
            // (simulator seeds 56 and 71). Our join timer still repeats the join every join period.
            if (_state != SrpState.Gather || _procList.Count != procBefore || _failedList.Count != failedBefore)
            {
                GatherEnter(GatherReason.MergeDuringJoin);
                gatherEntered = true;
            }
        }

        if (!gatherEntered && _state == SrpState.Operational)
        {
            GatherEnter(GatherReason.JoinOperational);
        }
    }

    /// <summary>memb_consensus_agreed: every node of proc − failed sent a join with our exact sets.</summary>
    private bool ConsensusAgreed()
    {
        ReadOnlySpan<uint> proc = _procList.Span;
        ReadOnlySpan<uint> failed = _failedList.Span;
        for (int i = 0; i < proc.Length; i++)
        {
            if (!failed.Contains(proc[i]) && !_consensusSet.Contains(proc[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>memb_lowest_in_config: we have the lowest nodeid of proc − failed.</summary>
    private bool LowestInConfig()
    {
        ReadOnlySpan<uint> proc = _procList.Span;
        ReadOnlySpan<uint> failed = _failedList.Span;
        uint lowest = uint.MaxValue;
        for (int i = 0; i < proc.Length; i++)
        {
            if (!failed.Contains(proc[i]) && proc[i] < lowest)
            {
                lowest = proc[i];
            }
        }

        return lowest == _myId;
    }

    /// <summary>
    /// memb_state_consensus_timeout_expired: if everyone agreed, start a fresh round (and wait a token timeout);
    /// otherwise every node that has not answered goes to the failed list and we gather again.
    /// </summary>
    private void ConsensusTimeoutExpired()
    {
        _counters.ConsensusTimeouts++;
        if (ConsensusAgreed())
        {
            _consensusSet.Clear();
            _consensusSet.Add(_myId);
            _timers.Arm(SrpTimer.TokenTimeout, _now + _tokenTimeoutNs);
        }
        else if (++_consensusFailures >= ConsensusFailuresMax)
        {
            // Gather does not converge (docs/robustness.md): rather than send joins forever, form a ring of our own,
            // as a node that failed to receive does; merge detection brings the others back once they answer.
            _counters.GatherFallbackSingleton++;
            _procList.Clear();
            _procList.Add(_myId);
            _failedList.Clear();
            if (CommitTokenCreate())
            {
                CommitEnter();
            }
            else
            {
                GatherEnter(GatherReason.ConsensusTimeout);
            }
        }
        else
        {
            ReadOnlySpan<uint> proc = _procList.Span;
            for (int i = 0; i < proc.Length; i++)
            {
                if (!_consensusSet.Contains(proc[i]))
                {
                    _failedList.Add(proc[i]);
                }
            }

            GatherEnter(GatherReason.ConsensusTimeout);
        }
    }

    /// <summary>Consecutive consensus timeouts without agreement before a node falls back to a singleton ring.</summary>
    private const int ConsensusFailuresMax = 6;

    /// <summary>
    /// memb_state_commit_token_create: the rep builds the commit token for proc − failed, sorted by nodeid, with
    /// ring seq = highest seq seen + 4.
    /// </summary>
    private bool CommitTokenCreate()
    {
        if (_tokenRingIdSeq > ulong.MaxValue - 4)
        {
            // The seq would wrap: every member would reject the ring. The joins that raised it this far were
            // accepted within RingSeqJumpMax, so only a cluster that agreed on such a seq gets here.
            _counters.RingSeqPoisonIgnored++;
            return false;
        }

        _scratchSet.SetDifference(_procList.Span, _failedList.Span);
        ReadOnlySpan<uint> members = _scratchSet.Span;
        members.CopyTo(_commitToken.Addr);
        _commitToken.Addr.AsSpan(0, members.Length).Sort();
        _commitToken.AddrEntries = members.Length;
        _commitToken.Entries.AsSpan(0, members.Length).Clear();
        _commitToken.MembIndex = 0;
        _commitToken.TokenSeq = 0;
        _commitToken.RetransFlg = 0;
        _commitToken.RingId = new MembRingId(_myId, _tokenRingIdSeq + 4);
        return true;
    }

    /// <summary>
    /// memb_state_commit_enter: save the old ring's state, fill in our commit-token entry, take the new ring id,
    /// store its seq, and pass the commit token on.
    /// </summary>
    private void CommitEnter()
    {
        OldRingStateSave();
        CommitTokenUpdate();
        _tokenTarget = _commitToken.Addr[_commitToken.MembIndex % _commitToken.AddrEntries];
        _timers.Cancel(SrpTimer.Join);
        _timers.Cancel(SrpTimer.Consensus);
        _ringId = _commitToken.RingId;
        _seqStore.Store(_myId, _ringId.Seq);
        _tokenRingIdSeq = _ringId.Seq;
        if (_ringSeqHighKnown < _ringId.Seq)
        {
            _ringSeqHighKnown = _ringId.Seq;
        }

        _state = SrpState.Commit;
        _consensusFailures = 0;
        _counters.CommitEntered++;
        _timers.Arm(SrpTimer.TokenRetransmit, _now + _tokenRetransmitNs);
        _timers.Arm(SrpTimer.TokenTimeout, _now + _tokenTimeoutNs);
        _myTrc = 0;
        _myPbl = 0;
        _myCbl = 0;
        CommitTokenSend(_commitToken);
        CheckInvariants();
    }

    /// <summary>
    /// memb_state_commit_token_update: record our old ring, aru, high delivered and received flag; an earlier member
    /// of the same old ring with a higher aru clears the received flag of the lower ones.
    /// </summary>
    private void CommitTokenUpdate()
    {
        CommitTokenBuffer ct = _commitToken;
        _newMembList.CopyFrom(ct.AddrSpan);
        int index = ct.MembIndex;
        ref MembCommitTokenMembEntry mine = ref ct.Entries[index];
        mine.RingId = _oldRingId;
        mine.Aru = _oldRingStateAru;
        _myReceivedFlg = _myAru == _myHighSeqReceived;
        mine.ReceivedFlg = _myReceivedFlg ? 1u : 0u;
        mine.HighDelivered = _myHighDelivered;

        uint highAru = mine.Aru;
        for (int i = 0; i <= index; i++)
        {
            if (ct.Entries[i].RingId == mine.RingId && SeqMath.Lt(highAru, ct.Entries[i].Aru))
            {
                highAru = ct.Entries[i].Aru;
            }
        }

        for (int i = 0; i <= index; i++)
        {
            if (ct.Entries[i].RingId == mine.RingId && SeqMath.Lt(ct.Entries[i].Aru, highAru))
            {
                ct.Entries[i].ReceivedFlg = 0;
                if (i == index)
                {
                    _myReceivedFlg = false;
                }
            }
        }

        ct.MembIndex = index + 1;
    }

    /// <summary>
    /// memb_state_commit_token_send and _send_recovery: token_seq + 1, our nodeid in the header, keep a copy for
    /// retransmission, unicast to the next member.
    /// </summary>
    private void CommitTokenSend(CommitTokenBuffer ct)
    {
        ct.TokenSeq++;
        int length = ct.Encode(_lastToken, _myId);
        _lastTokenLength = length;
        _tx.EnqueueControl(_lastToken.AsSpan(0, length), _tokenTarget);
        _counters.CommitTokenTx++;
        _timers.Arm(SrpTimer.TokenRetransmit, _now + _tokenRetransmitNs);
    }

    /// <summary>message_handler_memb_commit_token.</summary>
    private void HandleCommitToken(ReadOnlySpan<byte> datagram)
    {
        if (_rxCommitToken.TryDecode(datagram) != WireError.None)
        {
            _counters.DropBadLength++;
            return;
        }

        CommitTokenBuffer rx = _rxCommitToken;
        if (!AllListed(rx.AddrSpan))
        {
            _counters.DropUnlistedNode++;
            return;
        }

        if (!rx.AddrSpan.Contains(rx.Fixed.Header.NodeId))
        {
            // Only a member of the proposed ring passes its commit token on.
            _counters.DropBadCommitToken++;
            return;
        }

        switch (_state)
        {
            case SrpState.Operational:
                break;
            case SrpState.Gather:
                _scratchSet.SetDifference(_procList.Span, _failedList.Span);
                if (NodeSet.SetEqual(rx.AddrSpan, _scratchSet.Span) && rx.RingId.Seq > _ringId.Seq
                    && rx.MembIndex < rx.AddrEntries && rx.Addr[rx.MembIndex] == _myId)
                {
                    _commitToken.CopyFrom(rx);
                    CommitEnter();
                }

                break;
            case SrpState.Commit:
                // The second lap must carry the very membership we accepted on the first: RecoveryEnter reads the
                // token's entries by our new-member list's positions.
                if (rx.RingId.Seq == _ringId.Seq && rx.MembIndex == rx.AddrEntries)
                {
                    if (rx.RingId != _ringId || !rx.AddrSpan.SequenceEqual(_newMembList.Span))
                    {
                        _counters.DropBadCommitToken++;
                        break;
                    }

                    RecoveryEnter(rx);
                }

                break;
            case SrpState.Recovery:
                if (_myId == _ringId.Rep && !_originatedOrfToken)
                {
                    _originatedOrfToken = true;
                    OrfTokenSendInitial();
                    _timers.Arm(SrpTimer.TokenTimeout, _now + _tokenTimeoutNs);
                    _timers.Arm(SrpTimer.TokenRetransmit, _now + _tokenRetransmitNs);
                }

                break;
        }
    }
}
