using System.Diagnostics;
using System.Globalization;
using FastTotem.Sim;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// Random seeds with faults, each checked against every guarantee: the whole node stack, each seed with its own mix of
/// faults (the later ones, clock drift, pauses, one-way links, per-type bursts, replays and fault points, each on for
/// half the seeds). Replay one seed (with its full report) with FASTTOTEM_SEED=&lt;seed&gt; dotnet test
/// tests/FastTotem.Simulation, or with the `fasttotem sim` command a failure prints.
/// </summary>
public class RandomSweepTests(ITestOutputHelper output)
{
    /// <summary>
    /// Seeds per test run. Every seed runs the whole node machine (SRP, totempg, sync, the services), which costs about
    /// 1.6 times an SRP-only seed; 120 seeds on every core keep the sweep within the suite's time budget (it was 200
    /// SRP-only seeds on one thread). The seeds of 121..200 that once failed are pinned in <see cref="RegressionSeedTests"/>.
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
        var lines = new string?[seeds.Length];
        long start = Stopwatch.GetTimestamp();
        // Seeds are independent and each is deterministic: run them on every core, report them in seed order.
        Parallel.For(0, seeds.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            ulong seed = seeds[i];
            SimOptions options = SimSweep.OptionsForSeed(seed);
            SimRunResult result;
            try
            {
                result = SimRunner.Run(options);
            }
            catch (Exception e)
            {
                lines[i] = $"FAIL seed {seed}: {e.GetType().Name}: {e.Message}\n     replay: {SimSweep.ReplayCommand(options)}";
                return;
            }

            if (seeds.Length == 1)
            {
                var sb = new System.Text.StringBuilder(result.Summary());
                foreach (Violation v in result.Report.Violations)
                {
                    sb.AppendLine(v.ToString());
                }

                output.WriteLine(sb.ToString());
            }

            if (!result.Report.Passed)
            {
                lines[i] = SimSweep.Line(result);
            }
            else if (KnownFailingSeeds.Contains(seed))
            {
                lines[i] = $"known failing seed {seed} passes now: remove it from KnownFailingSeeds";
            }
        });

        for (int i = 0; i < seeds.Length; i++)
        {
            if (lines[i] is not { } line)
            {
                continue;
            }

            output.WriteLine(line);
            if (line.StartsWith("FAIL", StringComparison.Ordinal))
            {
                (KnownFailingSeeds.Contains(seeds[i]) && seeds.Length > 1 ? known : failed).Add(line);
            }
        }

        output.WriteLine($"{seeds.Length} seeds, {failed.Count} new failures, {known.Count} known failures, " +
                         $"{Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s real time");
        Assert.True(failed.Count == 0,
            $"{failed.Count} of {seeds.Length} seeds broke a guarantee (replay with FASTTOTEM_SEED=<seed>):\n{string.Join('\n', failed)}");
    }
}
