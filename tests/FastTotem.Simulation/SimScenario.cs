using FastTotem.Sim;
using FastTotem.Wire;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>Shared scaffolding for scripted runs of the real engine: options, stepping, and the final check.</summary>
internal sealed class SimScenario
{
    public const long Ms = SimFormat.NsPerMs;
    public const long Second = SimFormat.NsPerSecond;

    public readonly Simulator Sim;
    private readonly ITestOutputHelper _output;

    public SimScenario(ITestOutputHelper output, int nodes, long durationNs = 40 * Second, ulong seed = 1, double rate = 20)
    {
        _output = output;
        Sim = new Simulator(new SimOptions
        {
            NodeCount = nodes, Seed = seed, DurationNs = durationNs, MessagesPerSecond = rate, TokenMs = 1000, TokenCoefficientMs = 50,
        });
        Sim.Start();
    }

    public long Now => Sim.NowNs;

    public void RunFor(long ns) => Sim.RunUntil(Sim.NowNs + ns);

    public SimNode Node(uint id) => Sim.Node(id);

    /// <summary>The ring every listed node reports as its current regular configuration; fails if they differ.</summary>
    public MembRingId CommonRing(params uint[] ids)
    {
        MembRingId? ring = Node(ids[0]).RingId;
        Assert.NotNull(ring);
        foreach (uint id in ids)
        {
            Assert.True(Node(id).RingId == ring, $"n{id} is in ring {Node(id).RingId}, n{ids[0]} in {ring}\n{Describe()}");
            Assert.Equal(ids.Order(), Node(id).Members.Order());
        }

        return ring!.Value;
    }

    public string Describe() => string.Join("\n", Sim.Nodes.Select(n => $"  {n} ring {n.RingId} [{string.Join(',', n.Members)}]"));

    /// <summary>Runs to the end, checks every guarantee (liveness included) and prints the report.</summary>
    public CheckReport Finish()
    {
        Sim.RunUntil(Sim.Options.DurationNs);
        Sim.Finish();
        CheckReport report = TotemChecker.Check(Sim.History);
        _output.WriteLine($"seed {Sim.Options.Seed}: {Sim.Stats.Multicasts} multicasts, {Sim.Stats.Deliveries} deliveries, {Sim.Stats.RegularConfigs} regular configs");
        _output.WriteLine(report.Summary());
        foreach (Violation v in report.Violations)
        {
            _output.WriteLine(v.ToString());
        }

        Assert.True(Sim.History.LivenessBoundNs > 0, "the scenario left no room for the liveness check");
        Assert.True(report.Passed, report.Summary() + string.Join("\n", report.Violations));
        return report;
    }

    /// <summary>Regular configurations a node reported after <paramref name="afterNs"/>.</summary>
    public List<SimRecord> RegularConfigs(uint node, long afterNs = 0) =>
        Sim.History.Records.Where(r => r.Kind == SimRecordKind.ConfigChange && r.ConfigKind == SimConfigKind.Regular &&
                                       r.NodeId == node && r.TimeNs > afterNs).ToList();
}
