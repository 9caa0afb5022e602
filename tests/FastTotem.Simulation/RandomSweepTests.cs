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
    public const int SeedCount = 200;

    private static ulong? ReplaySeed =>
        Environment.GetEnvironmentVariable("FASTTOTEM_SEED") is { Length: > 0 } text
            ? ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;

    [Fact]
    public void RandomSeedsWithFaultsKeepEveryGuarantee()
    {
        ulong[] seeds = ReplaySeed is { } one ? [one] : Enumerable.Range(1, SeedCount).Select(i => (ulong)i).ToArray();
        var failed = new List<string>();
        long start = Stopwatch.GetTimestamp();
        foreach (ulong seed in seeds)
        {
            SimRunResult result = SimRunner.Run(SimSweep.OptionsForSeed(seed));
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
                failed.Add(line);
                output.WriteLine(line);
            }
        }

        output.WriteLine($"{seeds.Length} seeds, {failed.Count} failed, {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s real time");
        Assert.True(failed.Count == 0,
            $"{failed.Count} of {seeds.Length} seeds broke a guarantee (replay with FASTTOTEM_SEED=<seed>):\n{string.Join('\n', failed)}");
    }
}
