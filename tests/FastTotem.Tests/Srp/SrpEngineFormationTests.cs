using FastTotem.Protocol.Srp;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

public class SrpEngineFormationTests
{
    private static readonly byte[] Payload8 = [1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void SingleNodeFormsSingletonRingWithSeqPlusFour()
    {
        var h = new RingHarness(1);
        h.Stores[0].Store(1, 0);
        h.Start(0);
        h.RunFor(Ms(50));

        SrpEngine e = h.Engines[0];
        Assert.Equal(SrpState.Operational, e.State);
        Assert.Equal(new MembRingId(1, 5), e.RingId);
        Assert.Equal([1u], e.Members.ToArray());
        Assert.Equal(5ul, h.Stores[0].Seq);

        // corosync delivers an empty transitional configuration, then the regular one with ourselves joined.
        Assert.Equal(2, h.ConfigChanges.Count);
        Assert.Equal(ConfigChangeKind.Transitional, h.ConfigChanges[0].Kind);
        Assert.Empty(h.ConfigChanges[0].Members);
        Assert.Equal(ConfigChangeKind.Regular, h.ConfigChanges[1].Kind);
        Assert.Equal([1u], h.ConfigChanges[1].Members);
        Assert.Equal([1u], h.ConfigChanges[1].Joined);
        Assert.Equal("1.5", h.ConfigChanges[1].RingId);
    }

    [Fact]
    public void StartUsesStoredSeqPlusOneAndCreatesRingAtPlusFour()
    {
        var h = new RingHarness(1);
        h.Stores[0].Store(1, 13);
        h.Wire = [];
        h.Start(0);
        h.RunFor(Ms(50));

        // The first join carries stored seq + 1; the singleton ring is seq + 1 + 4.
        Assert.Equal("join from=1 hdr=1 seq=14 proc=[1] failed=[]", WireView.Describe(1, h.Wire[0].Bytes));
        Assert.Equal(new MembRingId(1, 18), h.Engines[0].RingId);
        Assert.Equal(18ul, h.Stores[0].Seq);
    }

    [Fact]
    public void SingletonDeliversOwnMessagesInOrder()
    {
        var h = new RingHarness(1);
        h.Start(0);
        h.RunFor(Ms(10));
        for (byte i = 0; i < 40; i++)
        {
            Assert.Equal(SendResult.Ok, h.Multicast(0, [i, 42]));
        }

        h.RunFor(Ms(100));
        Assert.Equal(40, h.Delivered[0].Count);
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(1u, h.Delivered[0][i].Sender);
            Assert.Equal(new byte[] { (byte)i, 42 }, h.Delivered[0][i].Payload);
        }
    }

    /// <summary>
    /// Capture a (a-2node-formation.pcap #24–#42): node 1 runs alone in ring 1.5 with 8 messages, node 2 starts
    /// 2.14 s later. Everything a peer can see from node 2's first join to the third token must match the capture:
    /// the joins (including node 1's repeat, because node 2 ignores the first while it is still forming 2.5), the
    /// four commit-token frames of ring 1.9 with their entries, and the first tokens with aru 0xFFFFFFFF.
    /// </summary>
    [Fact]
    public void TwoNodeFormationMatchesCaptureA()
    {
        var h = new RingHarness(2) { LatencyNs = 100_000 };
        h.Start(0);
        for (int i = 0; i < 8; i++)
        {
            h.Multicast(0, Payload8);
        }

        h.RunUntil(Ms(2140));
        Assert.Equal(new MembRingId(1, 5), h.Engines[0].RingId);
        h.Wire = [];
        h.Start(1);
        for (int i = 0; i < 8; i++)
        {
            h.Multicast(1, Payload8);
        }

        h.RunFor(Ms(300));

        List<string> seen = h.Wire
            .Where(w => w.To != w.From)
            .Where(w => WireView.TypeOf(w.Bytes) is MessageType.MembJoin or MessageType.MembCommitToken or MessageType.OrfToken)
            .Select(w => WireView.Describe(w.From, w.Bytes))
            .Take(11)
            .ToList();

        string[] expected =
        [
            "join from=2 hdr=2 seq=1 proc=[2] failed=[]",                                   // a#24
            "join from=1 hdr=1 seq=5 proc=[1,2] failed=[]",                                 // a#25
            "join from=1 hdr=1 seq=5 proc=[1,2] failed=[]",                                 // a#34
            "join from=2 hdr=2 seq=5 proc=[2,1] failed=[]",                                 // a#35
            "commit from=1 token_seq=1 ring=1.9 idx=1 addr=[1,2] (1.5 aru=8 hd=8 rf=1) (0.0 aru=0 hd=0 rf=0)", // a#36
            "commit from=2 token_seq=2 ring=1.9 idx=2 addr=[1,2] (1.5 aru=8 hd=8 rf=1) (2.5 aru=8 hd=8 rf=1)", // a#37
            "commit from=1 token_seq=3 ring=1.9 idx=2 addr=[1,2] (1.5 aru=8 hd=8 rf=1) (2.5 aru=8 hd=8 rf=1)", // a#38
            "commit from=2 token_seq=4 ring=1.9 idx=2 addr=[1,2] (1.5 aru=8 hd=8 rf=1) (2.5 aru=8 hd=8 rf=1)", // a#39
            "token from=1 seq=0 token_seq=0 aru=ffffffff aru_addr=1 ring=1.9 backlog=0 fcc=0 retrans=0 rtr=0", // a#40
            "token from=2 seq=0 token_seq=1 aru=ffffffff aru_addr=1 ring=1.9 backlog=0 fcc=0 retrans=0 rtr=0", // a#41
            "token from=1 seq=0 token_seq=2 aru=0 aru_addr=0 ring=1.9 backlog=0 fcc=0 retrans=0 rtr=0",        // a#42
        ];
        Assert.Equal(expected, seen);

        h.RunFor(Ms(100));
        Assert.True(h.AllOperationalWith(0, 1));
        Assert.Equal(new MembRingId(1, 9), h.Engines[1].RingId);
        Assert.Equal(9ul, h.Stores[0].Seq);
        Assert.Equal(9ul, h.Stores[1].Seq);
    }

    [Fact]
    public void ThreeNodesStartedTogetherFormOneRing()
    {
        var h = new RingHarness(3);
        h.StartAll();
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(0, 1, 2));
        MembRingId ring = h.Engines[0].RingId;
        Assert.Equal(1u, ring.Rep);
        Assert.Equal(ring, h.Engines[1].RingId);
        Assert.Equal(ring, h.Engines[2].RingId);
        Assert.Equal([1u, 2u, 3u], h.Engines[2].Members.ToArray());

        // The last regular configuration of every node names all three.
        for (int n = 0; n < 3; n++)
        {
            var last = h.ConfigChanges.Last(c => c.Node == n && c.Kind == ConfigChangeKind.Regular);
            Assert.Equal([1u, 2u, 3u], last.Members);
            Assert.Equal(ring.ToString(), last.RingId);
        }
    }

    [Fact]
    public void ThirdNodeJoinsRunningRing()
    {
        var h = new RingHarness(3);
        h.Start(0);
        h.Start(1);
        h.RunFor(Ms(2000));
        Assert.True(h.AllOperationalWith(0, 1));
        MembRingId before = h.Engines[0].RingId;

        h.Start(2);
        h.RunFor(Ms(2000));
        Assert.True(h.AllOperationalWith(0, 1, 2));
        Assert.True(h.Engines[0].RingId.Seq > before.Seq);

        // Nodes 1 and 2 go through a transitional configuration {1,2} and a regular one that joins 3.
        var trans = h.ConfigChanges.Last(c => c.Node == 0 && c.Kind == ConfigChangeKind.Transitional);
        Assert.Equal([1u, 2u], trans.Members);
        var regular = h.ConfigChanges.Last(c => c.Node == 0 && c.Kind == ConfigChangeKind.Regular);
        Assert.Equal([3u], regular.Joined);
    }
}
