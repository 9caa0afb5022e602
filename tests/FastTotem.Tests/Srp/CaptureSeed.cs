using System.Net;
using FastTotem.Capture;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Tests.Srp;

/// <summary>
/// Builds the <see cref="SrpSeedState"/> of a node whose ring formed before the capture began, from what the capture
/// shows before that node's first received token:
/// <list type="bullet">
/// <item>ring id, seq, aru: from that token. It must show an idle ring (aru = seq, aru_addr 0, no rtr entries), so
/// everything up to seq was received, delivered and released everywhere and no message is in flight.</item>
/// <item>members: the senders of this ring's tokens, in nodeid order (commit-token order, which the tokens follow).</item>
/// <item>my_token_seq: the token_seq we last processed, one rotation (members − 0) before that token's.</item>
/// <item>token held: an idle ring whose rep holds the token (the rep forwards only every hold period); every member
/// has seen more than seqno_unchanged_const idle visits.</item>
/// <item>this_seqno: the node's first own mcast in the capture, if any. It counts every mcast the process sent since
/// it started, before the capture too, so nothing earlier in the capture shows it.</item>
/// <item>the last token we sent: that token as we had forwarded it one rotation earlier (token_seq − members + 1,
/// our header nodeid), which an idle ring makes identical in every other field.</item>
/// </list>
/// </summary>
internal static class CaptureSeed
{
    private static bool IsTotem(CapturedDatagram d) =>
        d.DestinationPort == 5405 && d.Payload.Length >= 13 && d.Payload[0] == 0x70 && d.Payload[1] == 0xc0;

    private static uint NodeOf(IPAddress address) => address.GetAddressBytes()[3];

    public static SrpSeedState Build(IReadOnlyList<CapturedDatagram> all, uint node, SrpConfig config, long lastTokenAtNs)
    {
        CapturedDatagram first = all.First(d => IsTotem(d) && d.Payload[3] == (byte)MessageType.OrfToken && NodeOf(d.Destination) == node);
        var rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(first.Payload, out OrfToken token, rtr));

        // The seed describes an idle ring only; anything else would need the in-flight messages too.
        Assert.Equal(token.Seq, token.Aru);
        Assert.Equal(0u, token.AruAddr);
        Assert.Equal(0, token.RtrListEntries);
        Assert.Equal(0u, token.Fcc);
        Assert.Equal(0u, token.Backlog);

        var members = new SortedSet<uint>();
        foreach (CapturedDatagram d in all)
        {
            if (IsTotem(d) && d.Payload[3] == (byte)MessageType.OrfToken
                && OrfTokenCodec.TryDecode(d.Payload, out OrfToken t, rtr) == WireError.None && t.RingId == token.RingId)
            {
                members.Add(t.Header.NodeId);
            }
        }

        Assert.Contains(node, members);
        int n = members.Count;

        uint thisSeqno = 0;
        foreach (CapturedDatagram d in all)
        {
            if (IsTotem(d) && d.Payload[3] == (byte)MessageType.Mcast && NodeOf(d.Source) == node
                && McastCodec.TryDecode(d.Payload, out McastHeader h, out _, out _) == WireError.None
                && h.Header.NodeId == node && !h.IsEncapsulated)
            {
                thisSeqno = (uint)h.ThisSeqno;
                break;
            }
        }

        OrfToken lastSent = token;
        lastSent.Header = new TotemHeader(MessageType.OrfToken, node);
        lastSent.TokenSeq = token.TokenSeq - (uint)n + 1;
        byte[] lastToken = new byte[OrfToken.Size];
        Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(lastSent, [], lastToken, out _));

        return new SrpSeedState
        {
            RingId = token.RingId,
            Members = [.. members],
            Aru = token.Seq,
            HighSeqReceived = token.Seq,
            HighDelivered = token.Seq,
            LastReleased = token.Seq,
            TokenSeq = token.TokenSeq - (uint)n,
            LastTokenRingSeq = token.Seq,
            LastTokenAru = token.Aru,
            SeqUnchanged = config.SeqnoUnchangedConst + 1,
            TokenHeld = true,
            ThisSeqno = thisSeqno,
            LastToken = lastToken,
            LastTokenAtNs = lastTokenAtNs,
        };
    }
}
