namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// Checks what must hold between any two calls and on entering every state: seqs in order (released ≤ delivered
    /// ≤ aru ≤ highest received on an installed ring), the timers each state relies on armed, and this node inside
    /// the membership it acts on. Cheap (a few compares and at most three 384-entry scans), so it stays on in Release:
    /// it runs on every state entry, and the simulator calls it after every step.
    /// </summary>
    internal void CheckInvariants()
    {
        if (!IsRunning)
        {
            return;
        }

        Invariant.That(SeqMath.Lte(_myAru, _myHighSeqReceived), "my_aru is at or below the highest seq received");
        switch (_state)
        {
            case SrpState.Gather:
                // After a consensus timeout with everyone agreed, GATHER waits on the token timeout instead
                // (memb_state_consensus_timeout_expired).
                Invariant.That(_timers.IsArmed(SrpTimer.Join), "GATHER runs the join timer");
                Invariant.That(_timers.IsArmed(SrpTimer.Consensus) || _timers.IsArmed(SrpTimer.TokenTimeout),
                    "GATHER runs the consensus timer or, once everyone agreed, the token timeout");
                Invariant.That(_procList.Contains(_myId), "a gathering node is in its own proc list");
                break;
            case SrpState.Commit:
                Invariant.That(_timers.IsArmed(SrpTimer.TokenTimeout), "COMMIT runs the token timeout");
                Invariant.That(_newMembList.Contains(_myId), "a committing node is in the new membership");
                Invariant.That(!_timers.IsArmed(SrpTimer.Join) && !_timers.IsArmed(SrpTimer.Consensus),
                    "COMMIT has stopped the join and consensus timers");
                break;
            case SrpState.Recovery:
                Invariant.That(_timers.IsArmed(SrpTimer.TokenTimeout), "RECOVERY runs the token timeout");
                Invariant.That(_newMembList.Contains(_myId), "a recovering node is in the new membership");
                break;
            case SrpState.Operational:
                Invariant.That(_timers.IsArmed(SrpTimer.TokenTimeout), "OPERATIONAL runs the token timeout");
                Invariant.That(_membList.Contains(_myId), "an operational node is in its membership");
                Invariant.That(SeqMath.Lte(_lastReleased, _myHighDelivered), "nothing is released before it is delivered");
                Invariant.That(SeqMath.Lte(_myHighDelivered, _myAru), "nothing is delivered past my_aru");
                Invariant.That(_regular.HeadSeq == _lastReleased + 1 || _lastReleased == 0,
                    "the regular store starts right after the last released seq");
                break;
        }
    }

    /// <summary>quinn's rule, and ours: time never goes backwards between two calls into the engine.</summary>
    private void AdvanceTime(long nowNs)
    {
        Invariant.That(nowNs >= _now, "time never goes backwards (nowNs is below the previous call's)");
        _now = nowNs;
    }
}
