using System.Diagnostics;
using FastTotem.Protocol.Srp;
using FastTotem.Sim;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// The accelerated ring (docs/accelerated-ring.md) in the simulator, whole stack: a fixed sweep of seeds with every
/// fault on (as FreshSeedTests draws them, without the CPG traffic of issue #16's known joiner loss), every node with
/// the accelerated ring on. Every guarantee must hold, and the rings must really have run accelerated: synchronisations
/// that ended accelerated, and token visits that passed the token ahead of their mcasts.
/// Replay one seed: <c>fasttotem sim</c> with the command each line prints. A longer sweep:
/// FASTTOTEM_ACCEL_SEEDS=&lt;count&gt; [FASTTOTEM_ACCEL_FIRST=&lt;seed&gt;] dotnet test tests/FastTotem.Simulation --filter AcceleratedRingSweepTests.
/// </summary>
public class AcceleratedRingSweepTests(ITestOutputHelper output)
{
    /// <summary>Seeds of the fixed sweep: about 20 s of real time on a quiet 2-core machine.</summary>
    private const int SeedCount = 12;
    private const ulong FirstSeed = 9_170_000;

    [Fact]
    public void EveryGuaranteeHoldsOnAnAcceleratedRingUnderEveryFault()
    {
        int seedCount = int.TryParse(Environment.GetEnvironmentVariable("FASTTOTEM_ACCEL_SEEDS"), out int n) && n > 0 ? n : SeedCount;
        ulong firstSeed = ulong.TryParse(Environment.GetEnvironmentVariable("FASTTOTEM_ACCEL_FIRST"), out ulong f) ? f : FirstSeed;
        var clock = Stopwatch.StartNew();
        long acceleratedSyncs = 0;
        long acceleratedVisits = 0;
        long deferred = 0;
        for (ulong seed = firstSeed; seed < firstSeed + (ulong)seedCount; seed++)
        {
            SimOptions options = SimSweep.OptionsForSeed(seed, FreshSeedTests.NodeCountMax, FreshSeedTests.DurationNs, everyFault: true);
            options.CpgTraffic = false;
            options.Accelerated = true;
            var engines = new List<SrpEngine>();
            // The whole-stack factory itself, watched: the engines' counters show the mode was really used.
            options.EngineFactory = (nodeId, nodeList, seqStore, o) =>
            {
                var node = (NodeSimEngine)NodeSimEngine.Create(nodeId, nodeList, seqStore, o);
                engines.Add(node.Engine);
                return node;
            };
            SimRunResult result = SimRunner.Run(options);
            output.WriteLine($"{SimSweep.Line(result)} accelerated syncs {result.Stats.AcceleratedSyncs}");
            Assert.True(result.Report.Passed,
                $"seed {seed} broke a guarantee on an accelerated ring:\n{result.Summary()}\n{string.Join('\n', result.Report.Violations)}\n" +
                $"replay: {SimSweep.ReplayCommand(options)}");
            acceleratedSyncs += result.Stats.AcceleratedSyncs;
            acceleratedVisits += engines.Sum(e => e.Counters.AcceleratedTokenVisits);
            deferred += engines.Sum(e => e.Counters.RtrDeferred);
        }

        output.WriteLine($"seeds {firstSeed}..{firstSeed + (ulong)seedCount - 1} in {clock.Elapsed.TotalSeconds:0.0} s: {acceleratedSyncs} accelerated synchronisations, " +
                         $"{acceleratedVisits} accelerated token visits, {deferred} visits deferring in-flight seqs");
        Assert.True(acceleratedSyncs > seedCount, "the rings never ran accelerated");
        Assert.True(acceleratedVisits > 100, $"few token visits were accelerated ({acceleratedVisits})");
    }

    [Fact]
    public void AcceleratedNeedsTheWholeStack()
    {
        Assert.False(SimArguments.TryParse(["--stack", "srp", "--accelerated"], out _, out string? error));
        Assert.Contains("whole stack", error);
        Assert.True(SimArguments.TryParse(["--accelerated", "--duration", "20s"], out SimOptions parsed, out _));
        Assert.True(parsed.Accelerated);
        Assert.Contains("--accelerated", SimArguments.Format(parsed));
    }
}
