using System.Diagnostics;
using System.Globalization;
using FastTotem.Sim;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// Every test run explores seeds no run has tried before: the whole node stack with every fault on, seeds derived
/// from the clock, for at most <see cref="BudgetSeconds"/> of real time. Each seed is printed; a failure prints the
/// `fasttotem sim` command that replays it exactly and the way to rerun this test on it. A seed found here becomes
/// a pinned run in <see cref="RegressionSeedTests"/> (failing first) before its fix lands.
/// Replay a seed: FASTTOTEM_SIM_SEED=&lt;seed&gt; dotnet test tests/FastTotem.Simulation --filter FreshSeedTests.
/// </summary>
public class FreshSeedTests(ITestOutputHelper output)
{
    public const double BudgetSeconds = 45;
    public const int NodeCountMax = 5;
    public static readonly long DurationNs = 10 * SimFormat.NsPerSecond;

    [Fact]
    public void FreshSeedsWithEveryFaultKeepEveryGuarantee()
    {
        string? fixedSeed = Environment.GetEnvironmentVariable("FASTTOTEM_SIM_SEED");
        ulong first = fixedSeed is { Length: > 0 }
            ? ulong.Parse(fixedSeed, NumberStyles.None, CultureInfo.InvariantCulture)
            // Far above the fixed sweeps' seeds, different on every run.
            : (1UL << 40) + (ulong)DateTime.UtcNow.Ticks % (1UL << 40);
        var clock = Stopwatch.StartNew();
        var failed = new List<string>();
        var seeds = new List<ulong>();
        for (ulong seed = first; ; seed++)
        {
            SimOptions options = SimSweep.OptionsForSeed(seed, NodeCountMax, DurationNs, everyFault: true);
            seeds.Add(seed);
            SimRunResult result;
            try
            {
                result = SimRunner.Run(options);
            }
            catch (Exception e)
            {
                failed.Add($"seed {seed}: {e.GetType().Name}: {e.Message}\n  replay: {SimSweep.ReplayCommand(options)}\n" +
                           $"  or: FASTTOTEM_SIM_SEED={seed} dotnet test tests/FastTotem.Simulation --filter FreshSeedTests");
                break;
            }

            if (!result.Report.Passed)
            {
                output.WriteLine(result.Summary());
                foreach (Violation v in result.Report.Violations)
                {
                    output.WriteLine(v.ToString());
                }

                failed.Add($"{SimSweep.Line(result)}\n  or: FASTTOTEM_SIM_SEED={seed} dotnet test tests/FastTotem.Simulation --filter FreshSeedTests");
                break;
            }

            if (fixedSeed is { Length: > 0 } || clock.Elapsed.TotalSeconds >= BudgetSeconds)
            {
                break;
            }
        }

        string summary = $"simulator fresh seeds {first}..{seeds[^1]} ({seeds.Count} seeds, whole stack, every fault, up to {NodeCountMax} nodes, " +
                         $"{SimFormat.Duration(DurationNs)} each) in {clock.Elapsed.TotalSeconds:0.0} s: {(failed.Count == 0 ? "all passed" : "FAILED")}";
        output.WriteLine(summary);
        // ./build.sh test prints this file after the run, so the seeds tried show even when every test passed.
        if (Environment.GetEnvironmentVariable("FASTTOTEM_SIM_SEEDS_FILE") is { Length: > 0 } file)
        {
            File.AppendAllText(file, summary + "\n" + string.Join('\n', failed) + (failed.Count > 0 ? "\n" : ""));
        }

        Assert.True(failed.Count == 0, $"a fresh seed broke a guarantee; pin it in RegressionSeedTests before fixing it:\n{string.Join('\n', failed)}");
    }
}
