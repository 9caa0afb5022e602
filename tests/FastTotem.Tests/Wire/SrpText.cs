using System.Text;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>
/// Test-side helpers over the SRP codecs: decode any datagram and render its SRP fields in exactly
/// the layout of decoded/*.decoded.txt (so golden tests compare every printed field), and re-encode
/// a datagram through the matching codec.
/// </summary>
internal static class SrpText
{
    /// <summary>Decodes <paramref name="datagram"/> and renders its SRP lines, or returns the error.</summary>
    public static WireError TryRender(ReadOnlySpan<byte> datagram, out List<string> lines)
    {
        lines = [];
        WireError error = TotemDatagram.TryParse(datagram, out TotemHeader header, out _);
        if (error != WireError.None)
        {
            return error;
        }

        switch (header.Type)
        {
            case MessageType.OrfToken:
            {
                var rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
                error = OrfTokenCodec.TryDecode(datagram, out OrfToken t, rtr);
                if (error != WireError.None)
                {
                    return error;
                }

                lines.Add("  orf_token " + Head(t.Header));
                lines.Add($"    seq={t.Seq} token_seq={t.TokenSeq} aru={t.Aru} aru_addr={t.AruAddr} ring_id={t.RingId} backlog={t.Backlog} fcc={t.Fcc} retrans_flg={t.RetransFlg} rtr_list_entries={t.RtrListEntries}");
                for (int i = 0; i < t.RtrListEntries; i++)
                {
                    lines.Add($"      rtr[{i}] ring_id={rtr[i].RingId} seq={rtr[i].Seq}");
                }

                return WireError.None;
            }

            case MessageType.Mcast:
            {
                error = McastCodec.TryDecode(datagram, out McastHeader m, out ReadOnlySpan<byte> payload, out _);
                if (error != WireError.None)
                {
                    return error;
                }

                lines.Add("  " + Mcast(m));
                if (m.IsEncapsulated)
                {
                    lines.Add($"    encapsulated inner message ({payload.Length} bytes):");
                    error = McastCodec.TryDecode(payload, out McastHeader inner, out _, out _);
                    if (error != WireError.None)
                    {
                        return error;
                    }

                    lines.Add("    " + Mcast(inner));
                }

                return WireError.None;
            }

            case MessageType.MembMergeDetect:
            {
                error = MembMergeDetectCodec.TryDecode(datagram, out MembMergeDetect d);
                if (error != WireError.None)
                {
                    return error;
                }

                lines.Add("  memb_merge_detect " + Head(d.Header));
                lines.Add($"    system_from={d.SystemFrom} ring_id={d.RingId}");
                return WireError.None;
            }

            case MessageType.MembJoin:
            {
                var proc = new uint[WireLimits.ProcessorCountMax];
                var failed = new uint[WireLimits.ProcessorCountMax];
                error = MembJoinCodec.TryDecode(datagram, out MembJoin j, proc, failed);
                if (error != WireError.None)
                {
                    return error;
                }

                lines.Add("  memb_join " + Head(j.Header));
                string leave = j.IsLeave ? "  <-- LEAVE (header nodeid 0)" : "";
                lines.Add($"    system_from={j.SystemFrom} proc_list_entries={j.ProcListEntries} failed_list_entries={j.FailedListEntries} ring_seq={j.RingSeq} proc_list={List(proc.AsSpan(0, (int)j.ProcListEntries))} failed_list={List(failed.AsSpan(0, (int)j.FailedListEntries))}{leave}");
                return WireError.None;
            }

            case MessageType.MembCommitToken:
            {
                var addr = new uint[WireLimits.ProcessorCountMax];
                var entries = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];
                error = MembCommitTokenCodec.TryDecode(datagram, out MembCommitToken c, addr, entries);
                if (error != WireError.None)
                {
                    return error;
                }

                lines.Add("  memb_commit_token " + Head(c.Header));
                lines.Add($"    token_seq={c.TokenSeq} ring_id={c.RingId} retrans_flg={c.RetransFlg} memb_index={c.MembIndex} addr_entries={c.AddrEntries}");
                lines.Add($"    addr={List(addr.AsSpan(0, c.AddrEntries))}");
                for (int i = 0; i < c.AddrEntries; i++)
                {
                    MembCommitTokenMembEntry e = entries[i];
                    lines.Add($"    memb_list[{i}] ring_id={e.RingId} aru={e.Aru} high_delivered={e.HighDelivered} received_flg={e.ReceivedFlg}");
                }

                return WireError.None;
            }

            case MessageType.TokenHoldCancel:
            {
                error = TokenHoldCancelCodec.TryDecode(datagram, out TokenHoldCancel h);
                if (error != WireError.None)
                {
                    return error;
                }

                lines.Add("  token_hold_cancel " + Head(h.Header));
                lines.Add($"    ring_id={h.RingId}");
                return WireError.None;
            }

            default:
                throw new InvalidOperationException("TryParse accepted an unknown type");
        }
    }

    /// <summary>Decodes then re-encodes <paramref name="datagram"/> with the codec of its type.</summary>
    public static byte[] ReEncode(ReadOnlySpan<byte> datagram)
    {
        Assert.Equal(WireError.None, TotemDatagram.TryParse(datagram, out TotemHeader header, out _));
        byte[] output = new byte[WireLimits.FrameSizeMax];
        int written;
        switch (header.Type)
        {
            case MessageType.OrfToken:
            {
                var rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
                Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(datagram, out OrfToken t, rtr));
                Assert.Equal(WireError.None, OrfTokenCodec.TryEncode(t, rtr.AsSpan(0, t.RtrListEntries), output, out written));
                break;
            }

            case MessageType.Mcast:
            {
                Assert.Equal(WireError.None, McastCodec.TryDecode(datagram, out McastHeader m, out ReadOnlySpan<byte> payload, out _));
                Assert.Equal(WireError.None, McastCodec.TryEncode(m, payload, output, out written));
                break;
            }

            case MessageType.MembMergeDetect:
            {
                Assert.Equal(WireError.None, MembMergeDetectCodec.TryDecode(datagram, out MembMergeDetect d));
                Assert.Equal(WireError.None, MembMergeDetectCodec.TryEncode(d, output, out written));
                break;
            }

            case MessageType.MembJoin:
            {
                var proc = new uint[WireLimits.ProcessorCountMax];
                var failed = new uint[WireLimits.ProcessorCountMax];
                Assert.Equal(WireError.None, MembJoinCodec.TryDecode(datagram, out MembJoin j, proc, failed));
                Assert.Equal(WireError.None, MembJoinCodec.TryEncode(
                    j, proc.AsSpan(0, (int)j.ProcListEntries), failed.AsSpan(0, (int)j.FailedListEntries), output, out written));
                break;
            }

            case MessageType.MembCommitToken:
            {
                var addr = new uint[WireLimits.ProcessorCountMax];
                var entries = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];
                Assert.Equal(WireError.None, MembCommitTokenCodec.TryDecode(datagram, out MembCommitToken c, addr, entries));
                Assert.Equal(WireError.None, MembCommitTokenCodec.TryEncode(
                    c, addr.AsSpan(0, c.AddrEntries), entries.AsSpan(0, c.AddrEntries), output, out written));
                break;
            }

            case MessageType.TokenHoldCancel:
            {
                Assert.Equal(WireError.None, TokenHoldCancelCodec.TryDecode(datagram, out TokenHoldCancel h));
                Assert.Equal(WireError.None, TokenHoldCancelCodec.TryEncode(h, output, out written));
                break;
            }

            default:
                throw new InvalidOperationException("unknown type");
        }

        return output.AsSpan(0, written).ToArray();
    }

    private static string Head(TotemHeader h) =>
        $"ver={h.Version} type={(byte)h.Type} encap={h.EncapsulatedFlag} nodeid={h.NodeId} target_nodeid=0x{h.TargetNodeId:x8}";

    private static string Mcast(McastHeader m) =>
        $"mcast {Head(m.Header)} system_from={m.SystemFrom} seq={m.Seq} this_seqno={m.ThisSeqno} ring_id={m.RingId} node_id={m.NodeId} guarantee={m.Guarantee}";

    private static string List(ReadOnlySpan<uint> values)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(values[i]);
        }

        return sb.Append(']').ToString();
    }
}
