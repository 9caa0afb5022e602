using System.Diagnostics;
using System.Globalization;
using FastTotem.Sim;

namespace FastTotem.Benchmarks;

/// <summary>
/// <c>sweep N [FIRST_SEED] [--nodes-max M] [--duration D] [--parallel P]</c>: the long simulator sweep, N seeded runs
/// with random faults (the same per-seed options as the test sweep), each checked against every Totem guarantee.
/// Prints each failing seed (replay: FASTTOTEM_SEED=seed dotnet test tests/FastTotem.Simulation, or sweep 1 seed).
/// </summary>
internal static class SweepVerb
{
    private const string Usage = "usage: FastTotem.Benchmarks sweep N [FIRST_SEED] [--nodes-max M] [--duration D] [--parallel P]";

    public static int Run(string[] args)
    {
        if (args.Length < 1 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        ulong first = 1;
        int nodesMax = 6;
        int parallel = 1;
        long durationNs = 20 * SimFormat.NsPerSecond;
        for (int i = 1; i < args.Length; i++)
        {
            bool ok = args[i] switch
            {
                "--nodes-max" => ++i < args.Length && int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out nodesMax) &&
                                 nodesMax >= 2 && nodesMax <= SimOptions.NodeCountMax,
                "--duration" => ++i < args.Length && SimFormat.TryParseDuration(args[i], out durationNs),
                "--parallel" => ++i < args.Length && int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out parallel) &&
                                parallel >= 1 && parallel <= 64,
                _ => i == 1 && ulong.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out first),
            };
            if (!ok)
            {
                Console.Error.WriteLine($"sweep: bad argument '{args[Math.Min(i, args.Length - 1)]}'");
                Console.Error.WriteLine(Usage);
                return 2;
            }
        }

        Console.WriteLine($"sweep: seeds {first}..{first + (ulong)count - 1}, up to {nodesMax} nodes, {SimFormat.Time(durationNs)} each, {parallel} in parallel");
        var failuresBy = new int[CheckReport.GuaranteeCount];
        int failed = 0, done = 0;
        double simulatedSeconds = 0;
        var gate = new object();
        var clock = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, i =>
        {
            ulong seed = first + (ulong)i;
            SimRunResult result = SimRunner.Run(SimSweep.OptionsForSeed(seed, nodesMax, durationNs));
            lock (gate)
            {
                done++;
                simulatedSeconds += result.History.EndNs / (double)SimFormat.NsPerSecond;
                if (!result.Report.Passed)
                {
                    failed++;
                    for (int g = 0; g < CheckReport.GuaranteeCount; g++)
                    {
                        if (result.Report.Has((Guarantee)g))
                        {
                            failuresBy[g]++;
                        }
                    }

                    Console.WriteLine(SimSweep.Line(result));
                }

                if (done % 100 == 0)
                {
                    Console.WriteLine($"  {done}/{count} seeds, {failed} failed, {clock.Elapsed.TotalSeconds:0.0} s");
                }
            }
        });

        Console.WriteLine($"sweep: {count} seeds, {failed} failed, {clock.Elapsed.TotalSeconds:0.0} s real, " +
                          $"{simulatedSeconds:0} simulated s ({simulatedSeconds / clock.Elapsed.TotalSeconds:0} per real s)");
        for (int g = 0; g < CheckReport.GuaranteeCount; g++)
        {
            Console.WriteLine($"  {(Guarantee)g,-17} {failuresBy[g]} seeds");
        }

        return failed == 0 ? 0 : 1;
    }
}
