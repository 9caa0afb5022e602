namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    private void FireTimer(SrpTimer timer)
    {
        switch (timer)
        {
            case SrpTimer.TokenTimeout:
                TokenTimeoutExpired();
                break;
            case SrpTimer.TokenRetransmit:
                TokenRetransmitTimerExpired();
                break;
            case SrpTimer.TokenHoldRetransmit:
                if (_state is SrpState.Operational or SrpState.Recovery)
                {
                    TokenRetransmit();
                }

                break;
            case SrpTimer.Join:
                if (_state is SrpState.Gather or SrpState.Commit)
                {
                    JoinMessageSend();
                    _timers.Arm(SrpTimer.Join, _now + _joinNs);
                }

                break;
            case SrpTimer.Consensus:
                ConsensusTimeoutExpired();
                break;
            case SrpTimer.MergeDetect:
                if (_state == SrpState.Operational && _ringId.Rep == _myId)
                {
                    MergeDetectTransmit();
                }

                break;
        }
    }

    /// <summary>timer_function_orf_token_timeout.</summary>
    private void TokenTimeoutExpired()
    {
        switch (_state)
        {
            case SrpState.Operational:
                _counters.TokenLostOperational++;
                GatherEnter(GatherReason.TokenLostOperational);
                break;
            case SrpState.Gather:
                ConsensusTimeoutExpired();
                GatherEnter(GatherReason.ConsensusTimeoutExpired);
                break;
            case SrpState.Commit:
                _counters.TokenLostCommit++;
                GatherEnter(GatherReason.TokenLostCommit);
                break;
            case SrpState.Recovery:
                RecoveryTokenLoss();
                _orfTokenDiscard = true;
                break;
        }
    }

    /// <summary>timer_function_token_retransmit_timeout.</summary>
    private void TokenRetransmitTimerExpired()
    {
        if (_state == SrpState.Gather)
        {
            return;
        }

        TokenRetransmit();
        _timers.Arm(SrpTimer.TokenRetransmit, _now + _tokenRetransmitNs);
    }
}
