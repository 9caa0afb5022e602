using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// The accelerated ring (docs/accelerated-ring.md; after Babay and Amir's Accelerated Ring, ICDCS 2016): on a ring of
/// FastTotem nodes only, a token holder passes the token before the visit's new multicasts, so the next holder starts
/// its own visit while they are still on the wire. The token's seq already covers them. A receiver therefore meets
/// tokens whose seq runs ahead of the multicasts it has seen; it does not count those seqs as missing until a whole
/// rotation has passed since the token first covered them, so no retransmission is asked for a message in flight.
/// </summary>
internal sealed partial class SrpEngine
{
    private bool _accelerated;

    /// <summary>The token's seq when this node last forwarded it: every seq at or below it has had a whole rotation
    /// to arrive. Seqs above it may still be in flight behind an accelerated token.</summary>
    private uint _seqForwarded;

    /// <summary>True while the ring runs accelerated: from <see cref="TryAccelerate"/> until the next GATHER or ring installation.</summary>
    public bool IsAccelerated => _accelerated;

    /// <summary>
    /// Switches the current ring to accelerated mode: only with <see cref="SrpConfig.Accelerated"/> on, in
    /// OPERATIONAL, on <paramref name="syncedRing"/> (the ring whose synchronisation showed every member
    /// FastTotem). A later ring change returns to standard mode by itself. True when the ring now runs accelerated.
    /// </summary>
    public bool TryAccelerate(MembRingId syncedRing)
    {
        if (!_config.Accelerated || _state != SrpState.Operational || syncedRing != _ringId || _left)
        {
            return false;
        }

        if (!_accelerated)
        {
            _accelerated = true;
            _counters.AcceleratedRings++;
        }

        return true;
    }

    /// <summary>Back to standard mode: the membership is changing, and until the next synchronisation says otherwise
    /// a corosync daemon may be a member.</summary>
    private void StandardMode() => _accelerated = false;

    /// <summary>
    /// orf_token_rtr's miss rule, accelerated: a seq above <see cref="_seqForwarded"/> may still be in flight behind the
    /// token that announced it, so it is not counted as missed on this visit. In standard mode every seq counts, as in
    /// corosync.
    /// </summary>
    private bool MayStillBeInFlight(uint seq)
    {
        if (!_accelerated || SeqMath.Lte(seq, _seqForwarded))
        {
            return false;
        }

        _counters.RtrDeferred++;
        return true;
    }

    /// <summary>
    /// token_send's place in the visit's datagrams: in standard mode after all of them (as corosync sends it); in
    /// accelerated mode ahead of the last <see cref="SrpConfig.AcceleratedWindow"/> of the visit's new multicasts.
    /// </summary>
    private void TokenSendVisit(bool forward, uint sentThisVisit, uint tokenSeq)
    {
        _seqForwarded = tokenSeq;
        int behind = _accelerated && forward ? (int)Math.Min(sentThisVisit, (uint)Math.Max(0, _config.AcceleratedWindow)) : 0;
        if (behind == 0)
        {
            TokenSend(forward);
            return;
        }

        _lastTokenLength = _token.Encode(_lastToken, _myId);
        if (_tx.EnqueueControlBehind(_lastToken.AsSpan(0, _lastTokenLength), _tokenTarget, behind))
        {
            _counters.AcceleratedTokenVisits++;
        }

        _counters.OrfTokenTx++;
    }
}
