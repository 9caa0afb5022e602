using FastTotem.Protocol.Srp;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

public class SrpEngineOrderingTests
{
    internal static RingHarness FormedRing(int nodes, int tokenMs = 1000)
    {
        var h = new RingHarness(nodes, tokenMs: tokenMs);
        h.StartAll();
        h.RunFor(Ms(3000));
        int[] all = Enumerable.Range(0, nodes).ToArray();
        Assert.True(h.AllOperationalWith(all), "ring did not form");
        return h;
    }

    private static byte[] Msg(int node, int i) => [(byte)node, (byte)(i >> 8), (byte)i, 0x5A];

    internal static void AssertSameOrder(RingHarness h, params int[] nodes)
    {
        var reference = h.Delivered[nodes[0]];
        foreach (int n in nodes[1..])
        {
            Assert.Equal(reference.Count, h.Delivered[n].Count);
            for (int i = 0; i < reference.Count; i++)
            {
                Assert.Equal(reference[i].Sender, h.Delivered[n][i].Sender);
                Assert.Equal(reference[i].Payload, h.Delivered[n][i].Payload);
            }
        }
    }

    [Fact]
    public void MessagesFromEveryNodeAreDeliveredInTheSameTotalOrder()
    {
        RingHarness h = FormedRing(3);
        for (int round = 0; round < 50; round++)
        {
            for (int n = 0; n < 3; n++)
            {
                for (int k = 0; k < 3; k++)
                {
                    Assert.Equal(SendResult.Ok, h.Multicast(n, Msg(n, round * 3 + k)));
                }
            }

            h.RunFor(Ms(1));
        }

        h.RunFor(Ms(500));
        Assert.Equal(450, h.Delivered[0].Count);
        AssertSameOrder(h, 0, 1, 2);

        // Each sender's own messages keep their send order (FIFO per sender within the total order).
        for (int n = 0; n < 3; n++)
        {
            var mine = h.Delivered[0].Where(d => d.Sender == (uint)(n + 1)).Select(d => d.Payload).ToList();
            Assert.Equal(150, mine.Count);
            for (int i = 0; i < 150; i++)
            {
                Assert.Equal(Msg(n, i), mine[i]);
            }
        }
    }

    [Fact]
    public void FlowControlBoundsMessagesPerTokenVisit()
    {
        RingHarness h = FormedRing(3);
        h.Wire = [];
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(SendResult.Ok, h.Multicast(0, Msg(0, i)));
        }

        h.RunFor(Ms(200));
        Assert.Equal(200, h.Delivered[2].Count);

        // Between two tokens sent by node 1 it multicasts at most max_messages (17) new messages, and the token's
        // fcc never exceeds window_size (50).
        int run = 0;
        int maxRun = 0;
        foreach (var w in h.Wire.Where(w => w.From == 1))
        {
            MessageType type = WireView.TypeOf(w.Bytes);
            if (type == MessageType.Mcast)
            {
                run++;
                maxRun = Math.Max(maxRun, run);
            }
            else if (type == MessageType.OrfToken)
            {
                run = 0;
                var rtr = new RtrItem[30];
                OrfTokenCodec.TryDecode(w.Bytes, out OrfToken t, rtr);
                Assert.True(t.Fcc <= 50, $"fcc {t.Fcc}");
            }
        }

        Assert.Equal(17, maxRun);
    }

    [Fact]
    public void LostMcastIsRequestedInRtrListAndRetransmitted()
    {
        RingHarness h = FormedRing(3);
        h.Wire = [];
        int dropped = 0;

        // Node 3 never receives the first copy of node 1's message with payload byte 7.
        h.DropFilter = (from, to, bytes) =>
        {
            ReadOnlySpan<byte> b = bytes.Span;
            if (to == 3 && b[3] == (byte)MessageType.Mcast && b[4] == 2 && b.Length > 45 && b[45] == 0 && b[47] == 7 && dropped == 0)
            {
                dropped++;
                return true;
            }

            return false;
        };
        for (int i = 0; i < 20; i++)
        {
            h.Multicast(0, Msg(0, i));
        }

        h.RunFor(Ms(500));
        Assert.Equal(1, dropped);
        Assert.Equal(20, h.Delivered[2].Count);
        AssertSameOrder(h, 0, 1, 2);

        // Node 3 put the seq in a token's rtr list; a holder re-multicast it with the original header.
        var rtrTokens = h.Wire.Where(w => w.From == 3 && WireView.TypeOf(w.Bytes) == MessageType.OrfToken)
            .Select(w => { var r = new RtrItem[30]; OrfTokenCodec.TryDecode(w.Bytes, out OrfToken t, r); return (t, r); })
            .Where(x => x.t.RtrListEntries > 0)
            .ToList();
        Assert.NotEmpty(rtrTokens);
        Assert.Equal(h.Engines[0].RingId, rtrTokens[0].r[0].RingId);
        long retransmits = h.Engines[0].Counters.McastRetransmitTx + h.Engines[1].Counters.McastRetransmitTx;
        Assert.True(retransmits >= 1);
        uint missingSeq = rtrTokens[0].r[0].Seq;
        var copies = h.Wire.Where(w => WireView.TypeOf(w.Bytes) == MessageType.Mcast)
            .Select(w => { McastCodec.TryDecode(w.Bytes, out McastHeader m, out _, out _); return (w.From, m); })
            .Where(x => x.m.Seq == missingSeq)
            .ToList();
        Assert.True(copies.Count >= 2);
        Assert.All(copies, c => Assert.Equal(1u, c.m.Header.NodeId));
    }
}
