using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// Starts the engine as an operational member of an existing ring, in the state <paramref name="seed"/>
    /// describes, instead of <see cref="Start"/>. The fields set are those memb_state_operational_enter and the
    /// token handler leave behind; flow control (fcc, backlog) starts idle. For capture replays only.
    /// </summary>
    internal void SeedOperational(SrpSeedState seed, long nowNs)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (_started)
        {
            Invariant.ThrowInvalidOperation("The engine was already started.");
        }

        int index = Array.IndexOf(seed.Members, _myId);
        if (index < 0 || seed.Members.Length > WireLimits.ProcessorCountMax)
        {
            Invariant.ThrowArgument("seed", "Members must hold at most 384 nodeids, this node among them.");
        }

        if (seed.LastToken.Length > _lastToken.Length)
        {
            Invariant.ThrowArgument("seed", "LastToken is longer than any orf_token.");
        }

        // Everything is checked before any state changes, so a refused seed leaves the engine unstarted.
        for (int i = 0; i < seed.Messages.Length; i++)
        {
            byte[] datagram = seed.Messages[i];
            if (McastCodec.TryDecode(datagram, out McastHeader header, out _, out _) != WireError.None
                || header.RingId != seed.RingId || datagram.Length > _regular.FrameSizeMax
                || header.Seq - (seed.LastReleased + 1) >= (uint)_regular.Capacity)
            {
                Invariant.ThrowArgument("seed", "Messages must be mcasts of the seeded ring above LastReleased.");
            }
        }

        _started = true;
        _now = nowNs;
        _ringId = seed.RingId;
        _oldRingId = seed.RingId;
        _tokenRingIdSeq = seed.RingId.Seq;
        _ringSeqHighKnown = seed.RingId.Seq;
        _seqStore.Store(_myId, seed.RingId.Seq);

        _membList.CopyFrom(seed.Members);
        _newMembList.CopyFrom(seed.Members);
        _procList.CopyFrom(seed.Members);
        _failedList.Clear();
        _tokenTarget = seed.Members[(index + 1) % seed.Members.Length];

        _regular.Reset(seed.LastReleased + 1);
        _recovery.Reset(0);
        for (int i = 0; i < seed.Messages.Length; i++)
        {
            Invariant.Encoded(McastCodec.TryDecode(seed.Messages[i], out McastHeader header, out _, out _), "a seed message decodes");
            if (_regular.Contains(header.Seq))
            {
                continue;
            }

            Invariant.That(_regular.TryAdd(header.Seq, seed.Messages[i], keepReserve: false), "a seed's messages fit the store");
        }

        _myAru = seed.Aru;
        _myHighSeqReceived = seed.HighSeqReceived;
        _myHighDelivered = seed.HighDelivered;
        _lastReleased = seed.LastReleased;
        _myLastAru = seed.LastTokenAru;
        _myTokenSeq = seed.TokenSeq;
        _myLastSeq = seed.LastTokenRingSeq;
        _mySeqUnchanged = seed.SeqUnchanged;
        _myTokenHeld = seed.TokenHeld;
        _globalSeqno = seed.ThisSeqno;
        _myReceivedFlg = true;
        _orfTokenDiscard = false;
        _originatedOrfToken = false;
        _oldRingStateSaved = false;

        seed.LastToken.CopyTo(_lastToken, 0);
        _lastTokenLength = seed.LastToken.Length;

        _state = SrpState.Operational;
        _timers.Arm(SrpTimer.TokenTimeout, seed.LastTokenAtNs + _tokenTimeoutNs);
        _timers.Arm(SrpTimer.TokenRetransmit, seed.LastTokenAtNs + _tokenRetransmitNs);
        if (_ringId.Rep == _myId && _myTokenHeld)
        {
            _timers.Arm(SrpTimer.TokenHoldRetransmit, seed.LastTokenAtNs + _holdNs);
        }
    }
}
