using FastTotem.Hosting;
using FastTotem.Config;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Protocol.Sync;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

/// <summary>
/// The accelerated ring (docs/accelerated-ring.md): where the token goes among a visit's datagrams, the rule that keeps
/// receivers from asking for messages still in flight behind it, and the mode's detection and reset in the node stack.
/// </summary>
public class SrpAcceleratedRingTests
{
    private static RingHarness Ring(int nodes, bool accelerated, int missCountConst = 5, bool services = false)
    {
        var h = new RingHarness(nodes, (id, list) => SrpConfig.CorosyncDefaults(id, list, 1000) with
        {
            Accelerated = accelerated,
            MissCountConst = missCountConst,
        }, services: services);
        h.StartAll();
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(Enumerable.Range(0, nodes).ToArray()), "ring did not form");
        return h;
    }

    private static MessageType TypeOf(byte[] datagram) => (MessageType)datagram[3];

    /// <summary>Node 1's datagrams of the visit that sent its first data mcast: the types in wire order.</summary>
    private static List<MessageType> FirstDataVisit(RingHarness h, int messages)
    {
        h.Wire = [];
        for (int i = 0; i < messages; i++)
        {
            Assert.Equal(SendResult.Ok, h.Multicast(0, [0xA5, (byte)i]));
        }

        h.RunFor(Ms(20));
        var sent = h.Wire.Where(w => w.From == 1 && TypeOf(w.Bytes) is MessageType.Mcast or MessageType.OrfToken).ToList();
        int first = sent.FindIndex(w => TypeOf(w.Bytes) == MessageType.Mcast);
        Assert.True(first >= 0, "node 1 sent no mcast");
        // The visit: its token and its mcasts (those sent at the same virtual instant as the first mcast).
        long at = sent[first].At;
        return sent.Where(w => w.At == at).Select(w => TypeOf(w.Bytes)).ToList();
    }

    [Fact]
    public void StandardModeSendsTheTokenAfterTheVisitsMcasts()
    {
        RingHarness h = Ring(3, accelerated: true);
        List<MessageType> visit = FirstDataVisit(h, 5);
        Assert.Equal([.. Enumerable.Repeat(MessageType.Mcast, 5), MessageType.OrfToken], visit);
        Assert.Equal(0, h.Engines[0].Counters.AcceleratedTokenVisits);
    }

    [Fact]
    public void AcceleratedModeSendsTheTokenAheadOfTheVisitsNewMcasts()
    {
        RingHarness h = Ring(3, accelerated: true);
        foreach (SrpEngine e in h.Engines)
        {
            Assert.True(e.TryAccelerate(e.RingId));
        }

        List<MessageType> visit = FirstDataVisit(h, 5);
        Assert.Equal([MessageType.OrfToken, .. Enumerable.Repeat(MessageType.Mcast, 5)], visit);
        Assert.True(h.Engines[0].Counters.AcceleratedTokenVisits > 0);
        h.RunFor(Ms(50));
        SrpEngineOrderingTests.AssertSameOrder(h, 0, 1, 2);
        Assert.Equal(5, h.Delivered[2].Count(d => d.Payload[0] == 0xA5));
    }

    [Fact]
    public void AcceleratedWindowKeepsTheFirstMcastsAheadOfTheToken()
    {
        var h = new RingHarness(3, (id, list) => SrpConfig.CorosyncDefaults(id, list, 1000) with { Accelerated = true, AcceleratedWindow = 2 });
        h.StartAll();
        h.RunFor(Ms(3000));
        Assert.True(h.Engines[0].TryAccelerate(h.Engines[0].RingId));
        List<MessageType> visit = FirstDataVisit(h, 5);
        Assert.Equal([MessageType.Mcast, MessageType.Mcast, MessageType.Mcast, MessageType.OrfToken, MessageType.Mcast, MessageType.Mcast], visit);
    }

    [Fact]
    public void TheSettingOffOrAnotherRingRefusesAcceleration()
    {
        RingHarness h = Ring(3, accelerated: false);
        Assert.False(h.Engines[0].TryAccelerate(h.Engines[0].RingId));
        Assert.False(h.Engines[0].IsAccelerated);

        RingHarness on = Ring(3, accelerated: true);
        MembRingId other = new(on.Engines[0].RingId.Rep, on.Engines[0].RingId.Seq + 4);
        Assert.False(on.Engines[0].TryAccelerate(other));
        Assert.True(on.Engines[0].TryAccelerate(on.Engines[0].RingId));
    }

    /// <summary>The typed option reaches the engine as the corosync.conf key does.</summary>
    [Fact]
    public void TheTypedOptionTurnsTheSettingOn()
    {
        var members = new[] { new TotemMember(1, System.Net.IPAddress.Loopback), new TotemMember(2, System.Net.IPAddress.Loopback) };
        foreach (bool on in new[] { false, true })
        {
            var config = TotemNodeOptionsMapping.ToConfig(new TotemNodeOptions { NodeId = 1, Members = members, Accelerated = on });
            Assert.Equal(on, SrpConfigFactory.Create(config, 1).Accelerated);
        }
    }

    /// <summary>
    /// The rtr-suppression rule. With miss_count_const 1 a receiver asks for every seq a token covers that it has not
    /// seen. An accelerated sender's token arrives ahead of its mcasts: a receiver in standard mode then asks for all of
    /// them (needless retransmissions); a receiver in accelerated mode waits a rotation and asks for none.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReceiversDoNotAskForMcastsStillInFlightBehindTheToken(bool receiversAccelerated)
    {
        RingHarness h = Ring(3, accelerated: true, missCountConst: 1);
        h.Engines[0].TryAccelerate(h.Engines[0].RingId);
        if (receiversAccelerated)
        {
            h.Engines[1].TryAccelerate(h.Engines[1].RingId);
            h.Engines[2].TryAccelerate(h.Engines[2].RingId);
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(SendResult.Ok, h.Multicast(0, [0xB7, (byte)i]));
        }

        h.RunFor(Ms(100));
        long retransmitted = h.Engines.Sum(e => e.Counters.McastRetransmitTx);
        if (receiversAccelerated)
        {
            Assert.Equal(0, retransmitted);
            Assert.True(h.Engines[1].Counters.RtrDeferred > 0, "node 2 met the token ahead of the mcasts and deferred");
        }
        else
        {
            Assert.True(retransmitted > 0, "a standard receiver asks for the mcasts behind an accelerated token");
        }

        SrpEngineOrderingTests.AssertSameOrder(h, 0, 1, 2);
        Assert.Equal(10, h.Delivered[1].Count(d => d.Payload[0] == 0xB7));
    }

    /// <summary>A lost mcast behind an accelerated token is still asked for, one rotation later, and delivered.</summary>
    [Fact]
    public void ALostMcastBehindAnAcceleratedTokenIsStillRecovered()
    {
        RingHarness h = Ring(3, accelerated: true, missCountConst: 1);
        foreach (SrpEngine e in h.Engines)
        {
            e.TryAccelerate(e.RingId);
        }

        int dropped = 0;
        h.DropFilter = (from, to, bytes) =>
        {
            if (dropped > 0 || from != 1 || to != 3 || TypeOf(bytes.ToArray()) != MessageType.Mcast)
            {
                return false;
            }

            dropped++;
            return true;
        };
        for (int i = 0; i < 4; i++)
        {
            h.Multicast(0, [0xC3, (byte)i]);
        }

        h.RunFor(Ms(200));
        Assert.Equal(1, dropped);
        Assert.True(h.Engines[0].Counters.McastRetransmitTx >= 1);
        SrpEngineOrderingTests.AssertSameOrder(h, 0, 1, 2);
        Assert.Equal(4, h.Delivered[2].Count(d => d.Payload[0] == 0xC3));
    }

    /// <summary>
    /// Detection in the node stack: with the setting on everywhere, each synchronisation ends accelerated (every
    /// service_build carried id 48); a crash returns the survivors to standard mode at their GATHER, before any message
    /// of the next ring, and the next synchronisation makes them accelerated again.
    /// </summary>
    [Fact]
    public void EverySynchronisationDecidesTheModeAndAGatherEndsIt()
    {
        var modes = new List<(int Node, bool Accelerated)>();
        var h = new RingHarness(3, (id, list) => SrpConfig.CorosyncDefaults(id, list, 1000) with { Accelerated = true }, services: true);
        h.OnDeliver = (int node, in NodeEvent ev) =>
        {
            if (ev.Kind == NodeEventKind.SyncComplete)
            {
                modes.Add((node, ev.Accelerated));
            }
            else if (ev.Kind == NodeEventKind.ConfigChange)
            {
                Assert.False(h.Engines[node].IsAccelerated, "a configuration change is always delivered in standard mode");
            }
        };
        h.StartAll();
        h.RunFor(Ms(4000));
        Assert.True(h.AllOperationalWith(0, 1, 2));
        Assert.All(h.Engines, e => Assert.True(e.IsAccelerated));
        Assert.Contains((0, true), modes);
        Assert.True(h.Machines[0].Stack.Sync.EveryMemberListed(SyncCapability.AcceleratedRingServiceId));

        h.Crash(2);
        int gathersBefore = h.Gathers.Count;
        bool Gathered(int node) => h.Gathers.Skip(gathersBefore).Any(g => g.Node == node);
        for (int i = 0; i < 5000 && !(Gathered(0) && Gathered(1)); i++)
        {
            h.RunFor(Ms(1));
        }

        Assert.True(Gathered(0) && Gathered(1));

        Assert.False(h.Engines[0].IsAccelerated);
        Assert.False(h.Engines[1].IsAccelerated);
        modes.Clear();
        h.RunFor(Ms(8000));
        Assert.True(h.AllOperationalWith(0, 1));
        Assert.Contains((0, true), modes);
        Assert.True(h.Engines[0].IsAccelerated && h.Engines[1].IsAccelerated);
    }

    /// <summary>One member without the setting (a corosync daemon lists only 0, 2, 3, 5 too) keeps every member standard.</summary>
    [Fact]
    public void AMemberThatDoesNotAnnounceKeepsTheRingStandard()
    {
        var modes = new List<bool>();
        var h = new RingHarness(3, (id, list) => SrpConfig.CorosyncDefaults(id, list, 1000) with { Accelerated = id != 3 }, services: true);
        h.OnDeliver = (int node, in NodeEvent ev) =>
        {
            if (ev.Kind == NodeEventKind.SyncComplete)
            {
                modes.Add(ev.Accelerated);
            }
        };
        h.StartAll();
        h.RunFor(Ms(4000));
        Assert.True(h.AllOperationalWith(0, 1, 2));
        Assert.NotEmpty(modes);
        Assert.All(modes, Assert.False);
        Assert.All(h.Engines, e => Assert.False(e.IsAccelerated));
        Assert.False(h.Machines[0].Stack.Sync.EveryMemberListed(SyncCapability.AcceleratedRingServiceId));
    }
}
