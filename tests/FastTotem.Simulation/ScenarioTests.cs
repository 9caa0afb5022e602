using FastTotem.Sim;
using FastTotem.Wire;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>Scripted membership scenarios with the real SRP engine, each checked against every Totem guarantee.</summary>
public class ScenarioTests(ITestOutputHelper output)
{
    private const long Ms = SimScenario.Ms;
    private const long Second = SimScenario.Second;

    [Fact]
    public void TwoNodesFormOneRing()
    {
        var s = new SimScenario(output, 2);
        s.RunFor(5 * Second);
        MembRingId ring = s.CommonRing(1, 2);
        Assert.Equal(1u, ring.Rep); // the lowest nodeid represents the ring
        // Each node first installed its own singleton ring; the common ring's seq is higher than both.
        foreach (uint n in new uint[] { 1, 2 })
        {
            SimRecord first = s.RegularConfigs(n)[0];
            Assert.True(first.RingId.Seq < ring.Seq, $"n{n} first ring {first.RingId}, common {ring}");
        }

        CheckReport report = s.Finish();
        Assert.True(s.Sim.Stats.Deliveries >= 2 * s.Sim.Stats.Multicasts - 10);
        Assert.Equal(0, report.Count(Guarantee.AgreedOrder));
    }

    [Fact]
    public void ThirdNodeJoins()
    {
        var s = new SimScenario(output, 3);
        s.Sim.Crash(3); // node 3 is off at first
        s.RunFor(5 * Second);
        MembRingId pair = s.CommonRing(1, 2);
        long joinAt = s.Now;
        s.Sim.Restart(3);
        s.RunFor(8 * Second);
        MembRingId trio = s.CommonRing(1, 2, 3);
        Assert.True(trio.Seq > pair.Seq);
        SimRecord installed = s.RegularConfigs(1, joinAt).Last();
        Assert.Equal(trio, installed.RingId);
        Assert.Equal([3u], installed.Joined);
        s.Finish();
    }

    [Fact]
    public void TokenHolderCrashes()
    {
        var s = new SimScenario(output, 3);
        s.RunFor(5 * Second);
        MembRingId before = s.CommonRing(1, 2, 3);
        bool crashed = false;
        // The next token sent to node 2 is lost with node 2: it crashes holding the token.
        s.Sim.Filter = (from, to, d) =>
        {
            if (crashed || to != 2 || (MessageType)d[3] != MessageType.OrfToken)
            {
                return false;
            }

            crashed = true;
            s.Sim.At(s.Now, sim => sim.Crash(2));
            return true;
        };
        s.RunFor(Second);
        Assert.True(crashed);
        s.Sim.Filter = null;
        long crashAt = s.Now;
        s.RunFor(s.Sim.Options.LivenessBoundNs);
        MembRingId after = s.CommonRing(1, 3);
        Assert.True(after.Seq > before.Seq);
        Assert.Contains(2u, s.RegularConfigs(1, crashAt - Second).Concat(
            s.Sim.History.Records.Where(r => r.Kind == SimRecordKind.ConfigChange && r.NodeId == 1 && r.TimeNs > crashAt - Second))
            .SelectMany(r => r.Left));
        s.Sim.Restart(2);
        s.Finish();
    }

    [Fact]
    public void FiveNodesPartitionThreeTwoAndMerge()
    {
        var s = new SimScenario(output, 5, durationNs: 50 * Second);
        s.RunFor(5 * Second);
        MembRingId whole = s.CommonRing(1, 2, 3, 4, 5);
        s.Sim.Partition([1, 2, 3], [4, 5]);
        s.RunFor(12 * Second);
        MembRingId major = s.CommonRing(1, 2, 3);
        MembRingId minor = s.CommonRing(4, 5);
        Assert.NotEqual(major, minor);
        Assert.Equal(1u, major.Rep);
        Assert.Equal(4u, minor.Rep);
        Assert.True(major.Seq > whole.Seq && minor.Seq > whole.Seq);
        s.Sim.Heal();
        s.RunFor(12 * Second);
        MembRingId merged = s.CommonRing(1, 2, 3, 4, 5);
        Assert.True(merged.Seq > Math.Max(major.Seq, minor.Seq));
        s.Finish();
    }

    [Fact]
    public void CommitTokenLost()
    {
        var s = new SimScenario(output, 3);
        s.Sim.Crash(3);
        s.RunFor(5 * Second);
        s.CommonRing(1, 2);
        int dropped = 0;
        s.Sim.Filter = (from, to, d) => (MessageType)d[3] == MessageType.MembCommitToken && dropped++ == 0;
        s.Sim.Restart(3); // the join makes a new ring, whose first commit token is lost
        s.RunFor(s.Sim.Options.LivenessBoundNs);
        Assert.True(dropped >= 1, "no commit token was sent");
        Assert.Equal(1, s.Sim.Stats.DroppedFilter);
        s.Sim.Filter = null;
        s.RunFor(2 * Second);
        s.CommonRing(1, 2, 3);
        s.Finish();
    }

    [Fact]
    public void LossDuringRecovery()
    {
        var s = new SimScenario(output, 4, rate: 50);
        s.RunFor(5 * Second);
        s.CommonRing(1, 2, 3, 4);
        var random = new SimRandom(11);
        long droppedInRecovery = 0;
        s.Sim.Filter = (from, to, d) =>
        {
            if (s.Node(from).Engine?.StateName != "RECOVERY" || !random.Chance(0.3))
            {
                return false;
            }

            droppedInRecovery++;
            return true;
        };
        s.Sim.Partition([1, 2], [3, 4]);
        s.RunFor(6 * Second);
        s.Sim.Heal();
        s.RunFor(10 * Second);
        Assert.True(droppedInRecovery > 0, "no datagram was sent during recovery");
        s.Sim.Filter = null;
        s.RunFor(2 * Second);
        s.CommonRing(1, 2, 3, 4);
        s.Finish();
    }

    [Fact]
    public void QuickRestartComesBackWithAHigherRingSeq()
    {
        var s = new SimScenario(output, 3);
        s.RunFor(5 * Second);
        MembRingId before = s.CommonRing(1, 2, 3);
        s.Sim.Crash(2);
        s.RunFor(5 * Ms); // back before anyone notices the token loss
        long restartAt = s.Now;
        s.Sim.Restart(2);
        s.RunFor(10 * Second);
        SimRecord firstAfterRestart = s.RegularConfigs(2, restartAt - 1)[0];
        Assert.True(firstAfterRestart.RingId.Seq > before.Seq,
            $"restarted n2 installed {firstAfterRestart.RingId}, not above the persisted {before}");
        MembRingId after = s.CommonRing(1, 2, 3);
        Assert.True(after.Seq > before.Seq);
        s.Finish();
    }
}
