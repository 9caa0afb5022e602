using System.Diagnostics;
using System.Globalization;
using FastTotem.Sim;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// Random seeds with faults, each checked against every guarantee. Replay one seed (with its full report) with
/// FASTTOTEM_SEED=&lt;seed&gt; dotnet test tests/FastTotem.Simulation.
/// </summary>
public class RandomSweepTests(ITestOutputHelper output)
{
    /// <summary>
    /// Seeds per test run. Every seed runs the whole node machine (SRP, totempg, sync, the services) since issue 12,
    /// which costs about 1.6 times an SRP-only seed; 120 seeds on every core keep the sweep within the suite's time
    /// budget (it was 200 SRP-only seeds on one thread). The seeds of 121..200 that once failed are kept in
    /// <see cref="RegressionSeedTests"/>.
    /// </summary>
    public const int SeedCount = 120;

    /// <summary>
    /// Seeds of 1..SeedCount that break a guarantee with the current engine, each kept as a regression test in
    /// <see cref="RegressionSeedTests"/> and reported to the engine's owner. The sweep fails on any other seed.
    /// Remove a seed from here once its regression test passes.
    /// </summary>
    public static readonly HashSet<ulong> KnownFailingSeeds = [];

    private static ulong? ReplaySeed =>
        Environment.GetEnvironmentVariable("FASTTOTEM_SEED") is { Length: > 0 } text
            ? ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;

    [Fact]
    public void RandomSeedsWithFaultsKeepEveryGuarantee()
    {
        ulong[] seeds = ReplaySeed is { } one ? [one] : Enumerable.Range(1, SeedCount).Select(i => (ulong)i).ToArray();
        var failed = new List<string>();
        var known = new List<string>();
        long start = Stopwatch.GetTimestamp();
        // Seeds are independent simulations: run them on every core, then report in seed order.
        var results = new SimRunResult[seeds.Length];
        Parallel.For(0, seeds.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => results[i] = SimRunner.Run(SimSweep.OptionsForSeed(seeds[i])));
        for (int i = 0; i < seeds.Length; i++)
        {
            ulong seed = seeds[i];
            SimRunResult result = results[i];
            if (seeds.Length == 1)
            {
                output.WriteLine(result.Summary());
                foreach (Violation v in result.Report.Violations)
                {
                    output.WriteLine(v.ToString());
                }
            }

            if (!result.Report.Passed)
            {
                string line = SimSweep.Line(result);
                (KnownFailingSeeds.Contains(seed) && seeds.Length > 1 ? known : failed).Add(line);
                output.WriteLine(line);
            }
            else if (KnownFailingSeeds.Contains(seed))
            {
                output.WriteLine($"known failing seed {seed} passes now: remove it from KnownFailingSeeds");
            }
        }

        output.WriteLine($"{seeds.Length} seeds, {failed.Count} new failures, {known.Count} known failures, " +
                         $"{Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s real time");
        Assert.True(failed.Count == 0,
            $"{failed.Count} of {seeds.Length} seeds broke a guarantee (replay with FASTTOTEM_SEED=<seed>):\n{string.Join('\n', failed)}");
    }
}
