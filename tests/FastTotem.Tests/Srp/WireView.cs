using FastTotem.Wire;

namespace FastTotem.Tests.Srp;

/// <summary>Test-side decoding of recorded datagrams into short comparable strings, via the Wire codecs.</summary>
internal static class WireView
{
    public static MessageType TypeOf(byte[] datagram) => (MessageType)datagram[3];

    public static string Describe(uint from, byte[] d)
    {
        switch (TypeOf(d))
        {
            case MessageType.MembJoin:
            {
                uint[] proc = new uint[384];
                uint[] failed = new uint[384];
                Assert.Equal(WireError.None, MembJoinCodec.TryDecode(d, out MembJoin j, proc, failed));
                return $"join from={j.SystemFrom} hdr={j.Header.NodeId} seq={j.RingSeq} proc=[{string.Join(",", proc.Take((int)j.ProcListEntries))}] failed=[{string.Join(",", failed.Take((int)j.FailedListEntries))}]";
            }

            case MessageType.MembCommitToken:
            {
                uint[] addr = new uint[384];
                var entries = new MembCommitTokenMembEntry[384];
                Assert.Equal(WireError.None, MembCommitTokenCodec.TryDecode(d, out MembCommitToken c, addr, entries));
                string e = string.Join(" ", entries.Take(c.AddrEntries).Select(x => $"({x.RingId} aru={x.Aru} hd={x.HighDelivered} rf={x.ReceivedFlg})"));
                return $"commit from={c.Header.NodeId} token_seq={c.TokenSeq} ring={c.RingId} idx={c.MembIndex} addr=[{string.Join(",", addr.Take(c.AddrEntries))}] {e}";
            }

            case MessageType.OrfToken:
            {
                var rtr = new RtrItem[30];
                Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(d, out OrfToken t, rtr));
                return $"token from={t.Header.NodeId} seq={t.Seq} token_seq={t.TokenSeq} aru={t.Aru:x} aru_addr={t.AruAddr} ring={t.RingId} backlog={t.Backlog} fcc={t.Fcc} retrans={t.RetransFlg} rtr={t.RtrListEntries}";
            }

            case MessageType.Mcast:
            {
                Assert.Equal(WireError.None, McastCodec.TryDecode(d, out McastHeader h, out ReadOnlySpan<byte> payload, out _));
                return $"mcast from={h.Header.NodeId} encap={h.Header.EncapsulatedFlag} seq={h.Seq} ring={h.RingId} len={payload.Length}";
            }

            case MessageType.MembMergeDetect:
                Assert.Equal(WireError.None, MembMergeDetectCodec.TryDecode(d, out MembMergeDetect m));
                return $"merge_detect from={m.SystemFrom} ring={m.RingId}";
            default:
                Assert.Equal(WireError.None, TokenHoldCancelCodec.TryDecode(d, out TokenHoldCancel hc));
                return $"hold_cancel from={hc.Header.NodeId} ring={hc.RingId}";
        }
    }
}
