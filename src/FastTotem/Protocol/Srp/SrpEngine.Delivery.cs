using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>update_aru: advance my_aru over every consecutive stored seq.</summary>
    private void UpdateAru()
    {
        MessageStore store = _state == SrpState.Recovery ? _recovery : _regular;
        uint range = _myHighSeqReceived - _myAru;
        uint i = 1;
        for (; i <= range; i++)
        {
            if (!store.Contains(_myAru + i))
            {
                break;
            }
        }

        _myAru += i - 1;
    }

    /// <summary>
    /// messages_free: release every message the whole ring has (token aru, the previous token's aru) and we have
    /// delivered.
    /// </summary>
    private void MessagesFree(uint tokenAru)
    {
        uint releaseTo = tokenAru;
        if (SeqMath.Lt(_myLastAru, releaseTo))
        {
            releaseTo = _myLastAru;
        }

        if (SeqMath.Lt(_myHighDelivered, releaseTo))
        {
            releaseTo = _myHighDelivered;
        }

        if (SeqMath.Lt(releaseTo, _lastReleased) || releaseTo == _lastReleased)
        {
            return;
        }

        _regular.ReleaseThrough(releaseTo);
        _lastReleased = releaseTo;
    }

    /// <summary>
    /// messages_deliver_to_app: deliver in seq order up to <paramref name="endPoint"/>, stopping at a hole unless
    /// <paramref name="skip"/> (then holes are passed and only messages from the deliver membership go out).
    /// </summary>
    private void MessagesDeliverToApp(bool skip, uint endPoint)
    {
        uint range = endPoint - _myHighDelivered;
        uint start = _myHighDelivered;
        for (uint i = 1; i <= range; i++)
        {
            uint seq = start + i;
            if (!_regular.InRange(seq))
            {
                break;
            }

            ReadOnlySpan<byte> frame = _regular.Get(seq);
            if (frame.IsEmpty && !skip)
            {
                break;
            }

            _myHighDelivered = seq;
            if (frame.IsEmpty)
            {
                continue;
            }

            if (skip)
            {
                // A stored frame passed this decode when it arrived.
                Invariant.Encoded(McastCodec.TryDecode(frame, out McastHeader header, out _, out _), "a stored mcast decodes");
                if (!_deliverMembList.Contains(header.SystemFrom))
                {
                    continue;
                }
            }

            _events.EnqueueDelivery(_regular, seq);
            _counters.Delivered++;
        }
    }
}
