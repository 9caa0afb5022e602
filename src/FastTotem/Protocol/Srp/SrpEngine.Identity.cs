using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// Identity binding and nodelist checks, made before a message is handled (docs/robustness.md). Every nodeid that
    /// names a sender or a member must be a nodelist id, never 0 (a LEAVE's header is 0 by design; corosync's
    /// target_nodeid is junk and never read). With <see cref="SrpConfig.BindIdentity"/>: an orf_token, commit token or
    /// token_hold_cancel must come from the address of the node its header names; a join, LEAVE or merge_detect from
    /// the address of its system_from; an mcast (retransmitted by any member, keeping its originator's header) from a
    /// member of its ring. Nothing from an address outside the nodelist is believed at all.
    /// </summary>
    private bool IdentityAdmits(in TotemHeader header, ReadOnlySpan<byte> datagram)
    {
        if (_transmitter == Transmitter.Unlisted && _config.BindIdentity)
        {
            _counters.DropUnlistedTransmitter++;
            return false;
        }

        switch (header.Type)
        {
            case MessageType.OrfToken:
            case MessageType.TokenHoldCancel:
                return SpeaksFor(header.NodeId);
            case MessageType.MembCommitToken:
                // The addr list is checked in HandleCommitToken, once decoded.
                return SpeaksFor(header.NodeId);
            case MessageType.MembMergeDetect:
                return MembMergeDetectCodec.TryDecode(datagram, out MembMergeDetect merge) != WireError.None
                    || SpeaksFor(merge.SystemFrom);
            case MessageType.MembJoin:
                if (MembJoinCodec.TryDecode(datagram, out MembJoin join, _joinProc, _joinFailed) != WireError.None)
                {
                    return true;
                }

                if (header.NodeId != 0 && header.NodeId != join.SystemFrom)
                {
                    _counters.DropMisattributed++;
                    return false;
                }

                if (!AllListed(_joinProc.AsSpan(0, (int)join.ProcListEntries))
                    || !AllListed(_joinFailed.AsSpan(0, (int)join.FailedListEntries)))
                {
                    _counters.DropUnlistedNode++;
                    return false;
                }

                return SpeaksFor(join.SystemFrom);
            case MessageType.Mcast:
                return McastAdmitted(datagram);
            default:
                return true;
        }
    }

    /// <summary>The datagram's transmitter may speak as <paramref name="claimed"/>, a nodelist id.</summary>
    private bool SpeaksFor(uint claimed)
    {
        if (!IsListed(claimed))
        {
            _counters.DropUnlistedNode++;
            return false;
        }

        if (_config.BindIdentity && _transmitter != Transmitter.Unknown && _transmitter != claimed)
        {
            _counters.DropMisattributed++;
            return false;
        }

        return true;
    }

    /// <summary>An mcast's originator must be listed; for our ring its transmitter must be one of the ring's members
    /// (either membership this node holds for the ring id: the installed or the new one).</summary>
    private bool McastAdmitted(ReadOnlySpan<byte> datagram)
    {
        if (McastCodec.TryDecode(datagram, out McastHeader header, out _, out _) != WireError.None)
        {
            return true;
        }

        if (!IsListed(header.Header.NodeId) || !IsListed(header.SystemFrom))
        {
            _counters.DropUnlistedNode++;
            return false;
        }

        if (_config.BindIdentity && _transmitter != Transmitter.Unknown && header.RingId == _ringId
            && !_membList.Contains(_transmitter) && !_newMembList.Contains(_transmitter))
        {
            _counters.DropMisattributed++;
            return false;
        }

        return true;
    }

    /// <summary>A nodelist id (an empty nodelist lists everyone but 0).</summary>
    private bool IsListed(uint nodeId) =>
        nodeId != 0 && nodeId != Transmitter.Unlisted
        && (_listedSorted.Length == 0 || Array.BinarySearch(_listedSorted, nodeId) >= 0);

    private bool AllListed(ReadOnlySpan<uint> nodeIds)
    {
        for (int i = 0; i < nodeIds.Length; i++)
        {
            if (!IsListed(nodeIds[i]))
            {
                return false;
            }
        }

        return true;
    }
}
