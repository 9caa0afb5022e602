using System.Diagnostics;
using System.Globalization;
using FastTotem.Capture;
using FastTotem.Sim;

namespace FastTotem.Benchmarks;

/// <summary>
/// <c>sweep N [FIRST_SEED] [--nodes-max M] [--duration D] [--parallel P] [--all-faults] [--stack full|srp]</c>: the long
/// simulator sweep, N seeded runs with random faults (the same per-seed options as the test sweep; every fault on with
/// --all-faults), each checked against every Totem guarantee. Prints each failing seed with the `fasttotem sim`
/// command that replays it, and at the end seeds per second and the violations by guarantee.
/// </summary>
internal static class SweepVerb
{
    private const string Usage = "usage: FastTotem.Benchmarks sweep N [FIRST_SEED] [--nodes-max M] [--duration D] [--parallel P] [--all-faults] [--stack full|srp]";

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
        bool everyFault = false;
        bool srpOnly = false;
        for (int i = 1; i < args.Length; i++)
        {
            bool ok = args[i] switch
            {
                "--all-faults" => everyFault = true,
                "--stack" => ++i < args.Length && (args[i] == "full" || (srpOnly = args[i] == "srp")),
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

        Console.WriteLine($"sweep: seeds {first}..{first + (ulong)count - 1}, up to {nodesMax} nodes, {SimFormat.Time(durationNs)} each, " +
                          $"stack {(srpOnly ? "srp" : "full")}, {(everyFault ? "every fault on" : "random fault mixes")}, {parallel} in parallel");
        var failuresBy = new int[CheckReport.GuaranteeCount];
        int failed = 0, done = 0;
        double simulatedSeconds = 0;
        var gate = new object();
        var clock = Stopwatch.StartNew();
        // On a terminal, a line rewritten after every seed (cleared before each stdout line); piped, nothing.
        TerminalProgress? progress = TerminalProgress.OnTerminal("sweep: seed");
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, i =>
        {
            ulong seed = first + (ulong)i;
            SimOptions options = SimSweep.OptionsForSeed(seed, nodesMax, durationNs, everyFault);
            if (srpOnly)
            {
                options.EngineFactory = SrpSimEngine.Create;
            }

            SimRunResult result;
            try
            {
                result = SimRunner.Run(options);
            }
            catch (Exception e)
            {
                // A bug the engine threw out of a step: a violation like any other, with its replay command.
                lock (gate)
                {
                    done++;
                    failed++;
                    progress?.Clear();
                    Console.WriteLine($"FAIL {SimSweep.Describe(options)}: exception {e.GetType().Name}: {e.Message}\n     replay: {SimSweep.ReplayCommand(options)}");
                }

                return;
            }

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

                    progress?.Clear();
                    Console.WriteLine(SimSweep.Line(result));
                }

                if (done % 100 == 0)
                {
                    progress?.Clear();
                    Console.WriteLine($"  {done}/{count} seeds, {failed} failed, {clock.Elapsed.TotalSeconds:0.0} s, {done / clock.Elapsed.TotalSeconds:0.00} seeds/s");
                }

                progress?.Report(done, count, string.Create(CultureInfo.InvariantCulture, $"{failed} failed, {done / clock.Elapsed.TotalSeconds:0.00} seeds/s"));
            }
        });

        progress?.Clear();

        Console.WriteLine($"sweep: {count} seeds, {failed} failed, {clock.Elapsed.TotalSeconds:0.0} s real, {count / clock.Elapsed.TotalSeconds:0.00} seeds/s, " +
                          $"{simulatedSeconds:0} simulated s ({simulatedSeconds / clock.Elapsed.TotalSeconds:0} per real s)");
        for (int g = 0; g < CheckReport.GuaranteeCount; g++)
        {
            Console.WriteLine($"  {(Guarantee)g,-17} {failuresBy[g]} seeds");
        }

        return failed == 0 ? 0 : 1;
    }
}
