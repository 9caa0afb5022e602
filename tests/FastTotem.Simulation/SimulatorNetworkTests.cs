using FastTotem.Sim;

namespace FastTotem.Simulation;

/// <summary>The simulator's network, fault and recording machinery, driven by <see cref="PingEngine"/>.</summary>
public class SimulatorNetworkTests
{
    private const long Ms = SimFormat.NsPerMs;

    private static (Simulator Sim, List<PingEngine> Engines) Make(int nodes, int pings, ulong seed = 1, double rate = 0)
    {
        var engines = new List<PingEngine>();
        var options = new SimOptions
        {
            NodeCount = nodes,
            Seed = seed,
            DurationNs = 60 * SimFormat.NsPerSecond,
            MessagesPerSecond = rate,
            EngineFactory = PingEngine.Factory(engines, pings),
        };
        return (new Simulator(options), engines);
    }

    private static long CountFrom(PingEngine e, uint from) => e.Received.Count(r => r.From == from);

    [Fact]
    public void CleanNetworkDeliversEveryPingOnceInOrder()
    {
        var (sim, engines) = Make(4, 100);
        sim.RunUntil(500 * Ms);
        foreach (PingEngine e in engines)
        {
            Assert.Equal(300, e.Received.Count);
            Assert.Equal(100, e.SelfReceived);
            foreach (var group in e.Received.GroupBy(r => r.From))
            {
                Assert.Equal(Enumerable.Range(1, 100).Select(i => (uint)i), group.Select(r => r.Counter));
            }
        }

        Assert.Equal(0, sim.Stats.DroppedLoss + sim.Stats.Duplicated + sim.Stats.Reordered);
    }

    [Fact]
    public void LossDropsAboutItsFractionButNeverTheLoopback()
    {
        var (sim, engines) = Make(3, 1000);
        sim.Loss = 0.3;
        sim.RunUntil(2000 * Ms);
        long received = engines.Sum(e => (long)e.Received.Count);
        Assert.InRange(received, (long)(6000 * 0.66), (long)(6000 * 0.74));
        Assert.Equal(6000 - received, sim.Stats.DroppedLoss);
        Assert.All(engines, e => Assert.Equal(1000, e.SelfReceived));
    }

    [Fact]
    public void DuplicationDeliversSomePingsTwice()
    {
        var (sim, engines) = Make(2, 1000);
        sim.Duplicate = 0.5;
        sim.RunUntil(2000 * Ms);
        long received = engines.Sum(e => (long)e.Received.Count);
        Assert.Equal(2000 + sim.Stats.Duplicated, received);
        Assert.InRange(sim.Stats.Duplicated, 900, 1100);
    }

    [Fact]
    public void ReorderingHappensOnlyWhenAsked()
    {
        static int Inversions(PingEngine e)
        {
            int inversions = 0;
            uint last = 0;
            foreach (var r in e.Received)
            {
                if (r.Counter < last)
                {
                    inversions++;
                }

                last = Math.Max(last, r.Counter);
            }

            return inversions;
        }

        var (fifo, fifoEngines) = Make(2, 2000);
        fifo.RunUntil(3000 * Ms);
        Assert.All(fifoEngines, e => Assert.Equal(0, Inversions(e)));

        var (sim, engines) = Make(2, 2000);
        sim.Reorder = 0.3;
        sim.RunUntil(3000 * Ms);
        Assert.All(engines, e => Assert.True(Inversions(e) > 100, $"only {Inversions(e)} inversions"));
        Assert.All(engines, e => Assert.Equal(2000, e.Received.Count));
    }

    [Fact]
    public void PartitionCutsTrafficBetweenGroupsUntilHealed()
    {
        var (sim, engines) = Make(4, 1000);
        sim.RunUntil(100 * Ms);
        sim.Partition([1, 2], [3, 4]);
        long n3From1 = CountFrom(engines[2], 1), n2From1 = CountFrom(engines[1], 1);
        sim.RunUntil(200 * Ms);
        Assert.Equal(n3From1, CountFrom(engines[2], 1));
        Assert.True(CountFrom(engines[1], 1) > n2From1 + 90);
        sim.Heal();
        sim.RunUntil(400 * Ms);
        Assert.True(CountFrom(engines[2], 1) > n3From1 + 190);
        Assert.True(sim.Stats.DroppedPartition > 0);
        Assert.Equal(200 * Ms, sim.LastFaultNs);
    }

    [Fact]
    public void CrashAndRestartMakeANewProcessThatKeepsTheRingSeq()
    {
        var (sim, engines) = Make(3, 500);
        sim.RunUntil(50 * Ms);
        sim.Crash(2);
        Assert.False(sim.Node(2).Up);
        sim.RunUntil(60 * Ms); // pings already on the wire from the crashed node still arrive
        long before = CountFrom(engines[0], 2);
        sim.RunUntil(100 * Ms);
        Assert.Equal(before, CountFrom(engines[0], 2));
        sim.Restart(2);
        sim.RunUntil(150 * Ms);
        Assert.Equal(4, engines.Count);
        Assert.Equal(engines[1].StartSeq + 4, engines[3].StartSeq);
        Assert.True(engines[0].Received.Count(r => r.From == 2 && r.TimeNs > 100 * Ms) > 40);
        Assert.Equal(4, sim.History.Processes.Count);
        Assert.True(sim.History.Processes[1].Crashed);
        Assert.Equal(1, sim.History.Processes[3].Incarnation);
        Assert.True(sim.Stats.DroppedNodeDown > 0);
    }

    [Fact]
    public void ApplicationMessagesAreRecordedAndCheckable()
    {
        var (sim, _) = Make(2, 0, rate: 50);
        sim.RunUntil(2000 * Ms);
        sim.Finish();
        Assert.InRange(sim.Stats.Multicasts, 150, 250);
        Assert.Equal(sim.Stats.Multicasts, sim.Stats.Deliveries);
        CheckReport report = TotemChecker.Check(sim.History);
        Assert.True(report.Passed, report.Summary());
        Assert.False(report.Has(Guarantee.SelfDelivery));
    }

    [Fact]
    public void SameSeedReplaysExactlyAndAnotherSeedDoesNot()
    {
        string Run(ulong seed)
        {
            var engines = new List<PingEngine>();
            var options = new SimOptions
            {
                NodeCount = 5, Seed = seed, DurationNs = 40 * SimFormat.NsPerSecond, Loss = 0.1, Duplicate = 0.05, Reorder = 0.1,
                Partitions = true, Crashes = true, MessagesPerSecond = 20, MeanFaultIntervalNs = 500 * Ms,
                EngineFactory = PingEngine.Factory(engines, 2000),
            };
            var sim = new Simulator(options);
            sim.Run();
            return string.Join('\n', sim.History.Records.Select(r => r.ToString())) +
                   $"\n{sim.Stats.DroppedLoss} {sim.Stats.Duplicated} {sim.Stats.Reordered} {engines.Sum(e => e.Received.Count)}";
        }

        string a = Run(77);
        Assert.Equal(a, Run(77));
        Assert.NotEqual(a, Run(78));
    }

    [Fact]
    public void RandomFaultScheduleInjectsAndThenHealsEverything()
    {
        var engines = new List<PingEngine>();
        var options = new SimOptions
        {
            NodeCount = 6, Seed = 3, DurationNs = 60 * SimFormat.NsPerSecond, Partitions = true, Crashes = true, Loss = 0.05,
            MeanFaultIntervalNs = 500 * Ms, MessagesPerSecond = 0, EngineFactory = PingEngine.Factory(engines, 100_000),
        };
        var sim = new Simulator(options);
        sim.Run();
        Assert.True(sim.Stats.Crashes > 3, $"{sim.Stats.Crashes} crashes");
        Assert.True(sim.Stats.Partitions > 3, $"{sim.Stats.Partitions} partitions");
        Assert.Equal(sim.Stats.Crashes, sim.Stats.Restarts);
        Assert.All(sim.Nodes, n => Assert.True(n.Up));
        Assert.Equal(options.FaultsEndNs, sim.History.FaultsHealedNs);
        Assert.True(sim.History.LivenessBoundNs > 0);
        long lossAfter = sim.Stats.DroppedLoss;
        Assert.True(lossAfter > 0);
        // After the fault phase every ping between live nodes arrives: in the last 5 s, 5 peers x 1000 pings/s.
        foreach (PingEngine e in sim.Nodes.Select(n => engines.Last(x => x.NodeId == n.NodeId)))
        {
            int late = e.Received.Count(r => r.TimeNs > 55 * SimFormat.NsPerSecond);
            Assert.InRange(late, 24_900, 25_010); // boundary pings at exactly 55 s may count
        }
    }
}
