using FastTotem.Diagnostics;
using FastTotem.Sim;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// The later faults of the random schedule, each forced in a scripted run: it must really happen (its counter moves,
/// the ring reacts) and the whole node stack must keep every guarantee through it. Plus the schedule fingerprint.
/// </summary>
public class SimFaultTests(ITestOutputHelper output)
{
    private const long Ms = SimFormat.NsPerMs;
    private const long Second = SimFormat.NsPerSecond;

    private static SimOptions Quiet(int nodes = 3, ulong seed = 1) => new()
    {
        NodeCount = nodes, Seed = seed, DurationNs = 30 * Second, MessagesPerSecond = 30, TokenMs = 300, TokenCoefficientMs = 50,
    };

    private CheckReport Finish(Simulator sim)
    {
        sim.RunUntil(sim.Options.DurationNs);
        sim.Finish();
        CheckReport report = TotemChecker.Check(sim.History);
        output.WriteLine($"{sim.Stats.Multicasts} multicasts, {sim.Stats.Deliveries} deliveries, {sim.Stats.RegularConfigs} regular configs");
        output.WriteLine(report.Summary());
        foreach (Violation v in report.Violations)
        {
            output.WriteLine(v.ToString());
        }

        Assert.True(sim.History.LivenessBoundNs > 0, "no room left for the liveness check");
        Assert.True(report.Passed, report.Summary() + string.Join('\n', report.Violations));
        return report;
    }

    private static int RingsWith(Simulator sim, uint node, int members, long afterNs) =>
        sim.History.Records.Count(r => r.Kind == SimRecordKind.ConfigChange && r.ConfigKind == SimConfigKind.Regular &&
                                       r.NodeId == node && r.Members.Length == members && r.TimeNs > afterNs);

    [Fact]
    public void DriftingClocksStayMonotonicAndTheirDeadlinesInvert()
    {
        ulong seed = Environment.GetEnvironmentVariable("FASTTOTEM_SIM_SEED") is { Length: > 0 } text
            ? ulong.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : (ulong)Environment.TickCount64;
        output.WriteLine($"seed {seed} (replay: FASTTOTEM_SIM_SEED={seed} dotnet test tests/FastTotem.Simulation --filter DriftingClocks)");
        var random = new SimRandom(seed);
        // Only this test changes the rate (no random schedule): a rate change makes readings taken ahead of the
        // simulator's time stale, which is why the simulator reads a clock only at its own present.
        var sim = new Simulator(new SimOptions { NodeCount = 1, ClockDriftPpmMax = 1000, DurationNs = 30 * Second, MeanFaultIntervalNs = 3600 * Second });
        SimNode node = sim.Node(1);
        long global = 0, lastLocal = node.LocalTime(0);
        for (int i = 0; i < 20_000; i++)
        {
            global += random.NextLong(0, 5 * Ms);
            if (random.Chance(0.01))
            {
                sim.RunUntil(global);
                sim.SetDrift(1, (int)random.NextLong(-1000, 1001));
            }

            long local = node.LocalTime(global);
            Assert.True(local >= lastLocal, $"seed {seed}: the clock went back from {lastLocal} to {local}");
            long deadline = local + random.NextLong(0, 2 * Second);
            long due = node.GlobalTime(deadline);
            Assert.True(node.LocalTime(due) >= deadline && (due == global || node.LocalTime(due - 1) < deadline),
                $"seed {seed}: deadline {deadline} maps to {due}, which is not the first moment the clock reaches it");
            lastLocal = local;
        }
    }

    [Fact]
    public void RingSurvivesDriftingClocks()
    {
        SimOptions options = Quiet(4);
        options.ClockDriftPpmMax = 1000;
        options.MeanFaultIntervalNs = 300 * Ms;
        var sim = new Simulator(options);
        Finish(sim);
        Assert.True(sim.Stats.DriftChanges > 0);
        Assert.Contains(sim.Nodes, n => n.DriftPpm != 0);
        Assert.NotEqual(sim.Node(1).LocalTime(sim.NowNs), sim.Node(2).LocalTime(sim.NowNs)); // boot offsets differ
    }

    [Fact]
    public void APausedNodeIsLeftBehindThenRejoinsWithItsBacklog()
    {
        SimOptions options = Quiet();
        options.ReceiveQueueMax = 16;
        var sim = new Simulator(options);
        sim.RunUntil(4 * Second);
        sim.Pause(3, 3 * Second);
        sim.RunUntil(6500 * Ms);
        Assert.True(RingsWith(sim, 1, 2, 4 * Second) > 0, "nodes 1 and 2 should have formed a ring without the paused node");
        Assert.Equal(0, sim.History.Records.Count(r => r.NodeId == 3 && r.TimeNs > 4 * Second && r.Kind != SimRecordKind.Note));
        Assert.True(sim.Stats.DroppedSocketBuffer > 0, "the paused node's socket buffer should have overflowed");
        Finish(sim);
        Assert.True(RingsWith(sim, 3, 3, 7 * Second) > 0, "node 3 should be back in a ring of three");
    }

    [Fact]
    public void OneWayLinksAndAnAsymmetricPartitionHeal()
    {
        var sim = new Simulator(Quiet(4));
        sim.RunUntil(3 * Second);
        sim.CutLink(1, 2); // 2 no longer hears 1, 1 still hears 2
        sim.RunUntil(6 * Second);
        Assert.True(sim.Stats.DroppedOneWay > 0);
        sim.HealLinks();
        sim.RunUntil(9 * Second);
        foreach (uint from in new uint[] { 3, 4 })
        {
            foreach (uint to in new uint[] { 1, 2 })
            {
                sim.CutLink(from, to); // 3 and 4 hear 1 and 2, who hear nothing from them
            }
        }

        sim.RunUntil(12 * Second);
        sim.HealLinks();
        Finish(sim);
    }

    [Fact]
    public void CloggedLinksDeliverLateAndInOrder()
    {
        var sim = new Simulator(Quiet(3));
        sim.RunUntil(3 * Second);
        sim.ClogLink(1, 2, 250 * Ms); // shorter than the token timeout: the ring slows down but holds
        sim.ClogLink(3, 1, 900 * Ms); // longer: the token is lost on this hop, the ring re-forms until the heal
        sim.RunUntil(8 * Second);
        Assert.True(sim.Stats.DelayedClog > 0);
        sim.HealLinks();
        Finish(sim);
    }

    [Theory]
    [InlineData(0, 'l')] // every token lost for a second: token loss, gather, a new ring
    [InlineData(3, 'l')] // joins lost
    [InlineData(4, 'h')] // commit tokens held back and overtaken
    [InlineData(1, 'd')] // mcasts duplicated
    public void BurstsAimedAtOneMessageTypeAreSurvived(int type, char kind)
    {
        var sim = new Simulator(Quiet(4));
        sim.RunUntil(3 * Second);
        sim.Crash(4); // a ring change while the burst is on, so joins and commit tokens are in flight
        sim.TypeBurst(type, kind, kind == 'l' ? 1.0 : 0.8, 200 * Ms, 1500 * Ms);
        sim.RunUntil(3200 * Ms);
        sim.Restart(4);
        sim.RunUntil(6 * Second);
        Assert.True(sim.Stats.DroppedTypeFault + sim.Stats.DelayedTypeFault + sim.Stats.Duplicated > 0, "the burst never hit a datagram");
        Finish(sim);
    }

    [Fact]
    public void ReplaysOfOldRingsChangeNothing()
    {
        SimOptions options = Quiet(4);
        options.Replays = true;
        options.MeanFaultIntervalNs = 3600 * Second; // no random step: only the scripted replays below
        var sim = new Simulator(options);
        sim.RunUntil(3 * Second);
        sim.Crash(2);
        sim.RunUntil(5 * Second);
        sim.Restart(2);
        sim.RunUntil(8 * Second);
        for (int i = 0; i < 10; i++)
        {
            sim.Replay(50); // stale tokens, joins, commit tokens and messages of the rings before
            sim.RunUntil(sim.NowNs + 300 * Ms);
        }

        Assert.True(sim.Stats.Replayed > 100, $"only {sim.Stats.Replayed} datagrams replayed");
        Finish(sim);
    }

    [Fact]
    public void FaultPointsFireOnlyInTheSimulationThatInstalledThem()
    {
        SimOptions options = Quiet(3, seed: 5);
        options.Buggify = true;
        options.MessagesPerSecond = 200;
        options.MeanFaultIntervalNs = 3600 * Second;
        SimRunResult result = SimRunner.Run(options);
        output.WriteLine(result.Summary());
        Assert.True(result.Report.Passed, SimSweep.Line(result));
        Assert.True(result.Stats.FaultPointHits > 0, "no fault point fired");
        Assert.True(FaultPoints.Armed);
        for (int i = 0; i < 1000; i++)
        {
            // This thread has no injector installed (the simulator removes its own after every step).
            Assert.False(FaultPoints.Hit(FaultPoint.SrpSendQueueFull));
        }
    }

    [Fact]
    public void TheFingerprintFollowsTheScheduleNotTheEngine()
    {
        SimOptions Options(ulong seed, bool srp)
        {
            Assert.True(SimArguments.TryParse(["--nodes", "4", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--duration", "12s", "--token", "300", "--all-faults", "--fault-interval", "400ms", "--stack", srp ? "srp" : "full"], out SimOptions o, out string? e), e);
            return o;
        }

        SimRunResult a = SimRunner.Run(Options(3, srp: false));
        SimRunResult again = SimRunner.Run(Options(3, srp: false));
        SimRunResult srpOnly = SimRunner.Run(Options(3, srp: true));
        SimRunResult other = SimRunner.Run(Options(4, srp: false));
        Assert.Equal(a.ScheduleFingerprint, again.ScheduleFingerprint);
        Assert.Equal(a.Stats.Deliveries, again.Stats.Deliveries);
        Assert.Equal(a.ScheduleFingerprint, srpOnly.ScheduleFingerprint); // another engine, the same scenario
        Assert.NotEqual(a.Stats.DatagramsSent, srpOnly.Stats.DatagramsSent);
        Assert.NotEqual(a.ScheduleFingerprint, other.ScheduleFingerprint);
    }

    [Fact]
    public void APinnedRunWhoseScheduleChangedFailsAsGeneratorChanged()
    {
        const string Arguments = "--nodes 3 --seed 9 --duration 10s --stack full --loss 0.02 --dup 0 --reorder 0 --partitions --crashes " +
                                 "--clock-drift 0 --rate 10 --token 300 --coefficient 50 --payload 16 --fault-interval 1s --pause-max 3s --socket-buffer 0";
        Assert.True(SimArguments.TryParse(Arguments.Split(' '), out SimOptions options, out _));
        string pinned = SimRunner.Run(options).ScheduleFingerprint.ToString("x16");
        RegressionSeedTests.Replay(output, "self", Arguments, pinned);
        // The same seed under a changed generator (here: another fault interval) is another scenario.
        if (Environment.GetEnvironmentVariable("FASTTOTEM_REPIN") != "1")
        {
            var e = Assert.ThrowsAny<Exception>(() => RegressionSeedTests.Replay(output, "self", Arguments.Replace("--fault-interval 1s", "--fault-interval 900ms"), pinned));
            Assert.Contains("generator changed: re-pin", e.Message);
        }
    }

    [Fact]
    public void CpgTrafficRunsThroughCrashesAndLoss()
    {
        SimOptions options = Quiet(4, seed: 7);
        options.CpgTraffic = true;
        options.Crashes = true;
        options.Loss = 0.02;
        options.MeanFaultIntervalNs = 2 * Second;
        SimRunResult result = SimRunner.Run(options);
        output.WriteLine(result.Summary());
        Assert.True(result.Report.Passed, SimSweep.Line(result));
        Assert.True(result.Stats.Crashes > 0);
        // Every accepted application message also went through CPG; the processes left and rejoined their group.
        Assert.True(result.Stats.CpgDeliveries > result.Stats.Deliveries / 2, $"{result.Stats.CpgDeliveries} CPG deliveries for {result.Stats.Deliveries} deliveries");
        Assert.True(result.Stats.CpgConfigChanges > 8, $"{result.Stats.CpgConfigChanges} CPG configuration changes");
    }
}
