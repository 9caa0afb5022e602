namespace FastTotem.Sim;

/// <summary>
/// Many seeded runs with random fault mixes. Each seed alone decides its run (ring size, fault kinds and rates), so
/// a failing seed replays with <see cref="OptionsForSeed(ulong, int, long, bool)"/>, from a test (FASTTOTEM_SEED) or the bench `sweep` verb.
/// </summary>
internal static class SimSweep
{
    /// <summary>The options of sweep run <paramref name="seed"/>: 2 to <paramref name="nodeCountMax"/> nodes, at least one fault kind.</summary>
    public static SimOptions OptionsForSeed(ulong seed, int nodeCountMax = 6, long durationNs = 20 * SimFormat.NsPerSecond) =>
        OptionsForSeed(seed, nodeCountMax, durationNs, everyFault: false);

    /// <summary>
    /// The options of sweep run <paramref name="seed"/>. The later faults (clock drift, pauses, one-way links,
    /// per-type bursts, replays, fault points) are each on for half the seeds, or all on with
    /// <paramref name="everyFault"/>, which also turns on loss, duplication, reordering, partitions and crashes.
    /// </summary>
    public static SimOptions OptionsForSeed(ulong seed, int nodeCountMax, long durationNs, bool everyFault)
    {
        SimOptions o = BaseOptionsForSeed(seed, nodeCountMax, durationNs);
        // Drawn from a stream of their own, so each seed keeps the ring size and fault mix it had before.
        var r = new SimRandom(SimRandom.Derive(seed, 0xC4A05));
        o.ClockDriftPpmMax = everyFault || r.Chance(0.5) ? 500 : 0;
        o.Pauses = everyFault || r.Chance(0.5);
        o.OneWayLinks = everyFault || r.Chance(0.5);
        o.TypeFaults = everyFault || r.Chance(0.5);
        o.Replays = everyFault || r.Chance(0.5);
        o.Buggify = everyFault || r.Chance(0.5);
        o.CpgTraffic = everyFault || r.Chance(0.5);
        o.ReceiveQueueMax = 1024;
        if (everyFault)
        {
            double[] rates = [0.01, 0.02, 0.05];
            o.Loss = Math.Max(o.Loss, rates[r.NextInt(rates.Length)]);
            o.Duplicate = Math.Max(o.Duplicate, rates[r.NextInt(rates.Length)]);
            o.Reorder = Math.Max(o.Reorder, rates[r.NextInt(rates.Length)]);
            o.Partitions = true;
            o.Crashes = true;
        }

        return o;
    }

    /// <summary>The options a sweep seed had before the later faults existed (ring size, token, rate, loss, dup, reorder, partitions, crashes).</summary>
    public static SimOptions BaseOptionsForSeed(ulong seed, int nodeCountMax = 6, long durationNs = 20 * SimFormat.NsPerSecond)
    {
        var r = new SimRandom(SimRandom.Derive(seed, 0x5EE9));
        var o = new SimOptions
        {
            Seed = seed,
            NodeCount = 2 + r.NextInt(Math.Max(1, nodeCountMax - 1)),
            TokenMs = 300,
            TokenCoefficientMs = 50,
            MessagesPerSecond = 5 + r.NextInt(40),
            MeanFaultIntervalNs = r.NextLong(300 * SimFormat.NsPerMs, 2 * SimFormat.NsPerSecond),
        };
        double[] rates = [0, 0, 0.01, 0.05, 0.15];
        o.Loss = rates[r.NextInt(rates.Length)];
        o.Duplicate = rates[r.NextInt(rates.Length)];
        o.Reorder = rates[r.NextInt(rates.Length)];
        o.Partitions = r.Chance(0.5);
        o.Crashes = r.Chance(0.5);
        if (!o.HasFaults)
        {
            o.Partitions = true;
        }

        o.DurationNs = Math.Max(durationNs, o.MinimumDurationNs + 4 * SimFormat.NsPerSecond);
        return o;
    }

    public static string Describe(SimOptions o) =>
        $"seed {o.Seed}: {o.NodeCount} nodes, {SimFormat.Time(o.DurationNs)}, loss {o.Loss}, dup {o.Duplicate}, reorder {o.Reorder}, " +
        $"partitions {(o.Partitions ? "on" : "off")}, crashes {(o.Crashes ? "on" : "off")}, token {o.TokenMs} ms, {o.MessagesPerSecond} msg/s" +
        (o.HasNewFaults
            ? $", drift {o.ClockDriftPpmMax} ppm, pauses {(o.Pauses ? "on" : "off")}, one-way {(o.OneWayLinks ? "on" : "off")}, " +
              $"type faults {(o.TypeFaults ? "on" : "off")}, replays {(o.Replays ? "on" : "off")}, buggify {(o.Buggify ? "on" : "off")}, cpg {(o.CpgTraffic ? "on" : "off")}"
            : "");

    /// <summary>The command that replays a run exactly: every option spelled out, so it outlives changes to the sweep's generator.</summary>
    public static string ReplayCommand(SimOptions o) => "fasttotem sim " + SimArguments.Format(o);

    /// <summary>One line for a result: the seed, its options and each failed guarantee with its first description.</summary>
    public static string Line(SimRunResult result)
    {
        if (result.Report.Passed)
        {
            return $"ok   {Describe(result.Options)}";
        }

        var parts = new List<string>();
        for (int g = 0; g < CheckReport.GuaranteeCount; g++)
        {
            if (result.Report.Count((Guarantee)g) > 0)
            {
                parts.Add($"{(Guarantee)g} x{result.Report.Count((Guarantee)g)}");
            }
        }

        string first = result.Report.Violations.Count > 0 ? result.Report.Violations[0].Description : "";
        return $"FAIL {Describe(result.Options)}: {string.Join(", ", parts)}: {first}\n     replay: {ReplayCommand(result.Options)}";
    }
}
