using FastTotem.Wire;

namespace FastTotem.Capture;

internal sealed partial class TotemCaptureDecoder
{
    private readonly RtrItem[] _rtrScratch = new RtrItem[WireLimits.RetransmitEntriesMax];
    private readonly uint[] _procScratch = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _failedScratch = new uint[WireLimits.ProcessorCountMax];
    private readonly MembCommitTokenMembEntry[] _membScratch = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];

    /// <summary>The SRP layer: common header checks, then the type's own codec.</summary>
    private DecodeFailure DecodeSrp(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        WireError error = TotemDatagram.TryParse(datagram, out TotemHeader header, out bool foreignEndian);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "srp");
        }

        fields.Set("type", TypeName(header.Type));
        fields.Set("nodeid", header.NodeId);
        if (foreignEndian)
        {
            fields.Set("foreign_endian", true);
        }

        return header.Type switch
        {
            MessageType.OrfToken => DecodeOrfToken(datagram, fields),
            MessageType.Mcast => DecodeMcast(datagram, fields),
            MessageType.MembMergeDetect => DecodeMergeDetect(datagram, fields),
            MessageType.MembJoin => DecodeJoin(datagram, fields),
            MessageType.MembCommitToken => DecodeCommitToken(datagram, fields),
            _ => DecodeTokenHoldCancel(datagram, fields),
        };
    }

    private DecodeFailure DecodeOrfToken(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        WireError error = OrfTokenCodec.TryDecode(datagram, out OrfToken token, _rtrScratch);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "orf_token");
        }

        fields.Set("ring", token.RingId);
        fields.Set("seq", token.Seq);
        fields.Set("token_seq", token.TokenSeq);
        fields.Set("aru", token.Aru);
        fields.Set("aru_addr", token.AruAddr);
        fields.Set("backlog", token.Backlog);
        fields.Set("fcc", token.Fcc);
        fields.Set("retrans_flg", token.RetransFlg);
        var rtr = new List<object?>(token.RtrListEntries);
        for (int i = 0; i < token.RtrListEntries; i++)
        {
            rtr.Add(new DecodedFields().Set("ring", _rtrScratch[i].RingId).Set("seq", _rtrScratch[i].Seq));
        }

        fields.Set("rtr", rtr);
        return DecodeFailure.None;
    }

    private static DecodeFailure DecodeMergeDetect(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        WireError error = MembMergeDetectCodec.TryDecode(datagram, out MembMergeDetect message);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "merge_detect");
        }

        fields.Set("ring", message.RingId);
        fields.Set("system_from", message.SystemFrom);
        return DecodeFailure.None;
    }

    private DecodeFailure DecodeJoin(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        WireError error = MembJoinCodec.TryDecode(datagram, out MembJoin join, _procScratch, _failedScratch);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "join");
        }

        fields.Set("system_from", join.SystemFrom);
        fields.Set("ring_seq", join.RingSeq);
        fields.Set("proc", _procScratch.AsSpan(0, (int)join.ProcListEntries).ToArray());
        fields.Set("failed", _failedScratch.AsSpan(0, (int)join.FailedListEntries).ToArray());
        if (join.IsLeave)
        {
            fields.Set("leave", true);
        }

        return DecodeFailure.None;
    }

    private DecodeFailure DecodeCommitToken(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        WireError error = MembCommitTokenCodec.TryDecode(datagram, out MembCommitToken token, _procScratch, _membScratch);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "commit_token");
        }

        fields.Set("ring", token.RingId);
        fields.Set("token_seq", token.TokenSeq);
        fields.Set("retrans_flg", token.RetransFlg);
        fields.Set("memb_index", token.MembIndex);
        var members = new List<object?>(token.AddrEntries);
        for (int i = 0; i < token.AddrEntries; i++)
        {
            MembCommitTokenMembEntry entry = _membScratch[i];
            members.Add(new DecodedFields()
                .Set("nodeid", _procScratch[i])
                .Set("ring", entry.RingId)
                .Set("aru", entry.Aru)
                .Set("high_delivered", entry.HighDelivered)
                .Set("received_flg", entry.ReceivedFlg));
        }

        fields.Set("members", members);
        return DecodeFailure.None;
    }

    private static DecodeFailure DecodeTokenHoldCancel(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        WireError error = TokenHoldCancelCodec.TryDecode(datagram, out TokenHoldCancel message);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "token_hold_cancel");
        }

        fields.Set("ring", message.RingId);
        return DecodeFailure.None;
    }
}
