using System.Reflection;
using FastTotem.Protocol.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

public class SrpGatherReasonTests
{
    [Fact]
    public void ReasonsKeepCorosyncsNumbersAndHaveNames()
    {
        // gather_state_from in totemsrp.c v3.1.7: sixteen reasons, 0..15, the token losses at 2, 4 and 5.
        Assert.Equal(16, SrpCounters.GatherReasonCount);
        Assert.Equal(2, (int)GatherReason.TokenLostOperational);
        Assert.Equal(6, (int)GatherReason.FailedToReceive);
        Assert.Equal(15, (int)GatherReason.InterfaceChange);
        var names = new HashSet<string>();
        foreach (GatherReason reason in Enum.GetValues<GatherReason>())
        {
            Assert.True(names.Add(GatherReasonNames.Name(reason)));
        }

        Assert.Equal("token-lost-operational", GatherReasonNames.Name(GatherReason.TokenLostOperational));
    }

    [Fact]
    public void StartIsAnInterfaceChangeAndACrashIsATokenLossThenAConsensusTimeout()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        Assert.Contains((0, GatherReason.InterfaceChange), h.Gathers);
        Assert.Equal(1, h.Engines[0].Counters.GatherByReason[(int)GatherReason.InterfaceChange]);

        h.Gathers.Clear();
        long[] before = h.Engines.Select(e => e.Counters.GatherEntered).ToArray();
        h.Crash(0);
        SrpConfig config = h.Engines[1].Config;
        h.RunFor(Ms(config.TokenMs + config.ConsensusMs + 500));
        Assert.True(h.AllOperationalWith(1, 2));

        // The token's next holder notices first; its join reaches the other survivor before that one's own token
        // timeout, and the consensus round that misses node 1 ends in a consensus timeout.
        Assert.Equal((1, GatherReason.TokenLostOperational), h.Gathers[0]);
        Assert.Equal((2, GatherReason.JoinOperational), h.Gathers[1]);
        Assert.Contains(h.Gathers, g => g.Reason == GatherReason.ConsensusTimeout);
        Assert.DoesNotContain(h.Gathers, g => g.Node == 0);

        for (int i = 1; i < 3; i++)
        {
            SrpCounters c = h.Engines[i].Counters;
            Assert.Equal(c.GatherEntered, c.GatherByReason.Sum());
            Assert.Equal(h.Gathers.Count(g => g.Node == i), c.GatherEntered - before[i]);
            Assert.Equal(c.LastGatherReason, h.Gathers.Last(g => g.Node == i).Reason);
        }
    }

    [Fact]
    public void ANewNodeMakesTheRingGatherForWhatItsJoinTeachesThem()
    {
        var h = new RingHarness(3);
        h.Start(0);
        h.Start(1);
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(0, 1));
        h.Gathers.Clear();

        h.Start(2);
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(0, 1, 2));
        Assert.Equal((2, GatherReason.InterfaceChange), h.Gathers[0]);
        Assert.Contains((0, GatherReason.MergeDuringJoin), h.Gathers);
        Assert.Contains((1, GatherReason.MergeDuringJoin), h.Gathers);
    }

    [Fact]
    public void TimeGoingBackwardsIsABug()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(2);
        SrpEngine engine = h.Engines[0];
        engine.HandleTimeout(h.Now);
        InvariantException e = Assert.Throws<InvariantException>(() => engine.HandleTimeout(h.Now - 1));
        Assert.Contains("time never goes backwards", e.Message);
        Assert.Throws<InvariantException>(() => engine.HandleDatagram(new byte[8], h.Now - 1));
    }

    [Fact]
    public void InvariantsHoldInEveryStateAndCatchABrokenOne()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        h.Engines[0].CheckInvariants();
        h.Crash(2);
        SrpConfig config = h.Engines[0].Config;
        var seen = new HashSet<SrpState>();
        for (long t = 0; t < Ms(config.TokenMs + config.ConsensusMs + 1000); t += Ms(5))
        {
            h.RunFor(Ms(5));
            for (int i = 0; i < 2; i++)
            {
                h.Engines[i].CheckInvariants();
                seen.Add(h.Engines[i].State);
            }
        }

        Assert.Contains(SrpState.Gather, seen);
        Assert.Contains(SrpState.Operational, seen);

        // A timer table without the token timeout while OPERATIONAL is a broken engine.
        SrpEngine engine = h.Engines[0];
        Assert.Equal(SrpState.Operational, engine.State);
        var timers = (TimerTable)typeof(SrpEngine).GetField("_timers", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(engine)!;
        timers.Cancel(SrpTimer.TokenTimeout);
        InvariantException e = Assert.Throws<InvariantException>(engine.CheckInvariants);
        Assert.Contains("token timeout", e.Message);
    }

    [Fact]
    public void TheTimerTableHasOneDeadlinePerTimer()
    {
        SrpTimer[] timers = Enum.GetValues<SrpTimer>();
        Assert.Equal(timers.Length, TimerTable.Count);
        for (int i = 0; i < timers.Length; i++)
        {
            Assert.Equal(i, (int)timers[i]);
        }

        var table = new TimerTable();
        foreach (SrpTimer timer in timers)
        {
            table.Arm(timer, 100 + (int)timer);
        }

        Assert.Equal(100, table.Earliest());
        Assert.True(table.TryTakeDue(200, out SrpTimer first));
        Assert.Equal(timers[0], first);
    }
}
