namespace FastTotem.Sim;

/// <summary>
/// Many seeded runs with random fault mixes. Each seed alone decides its run (ring size, fault kinds and rates), so
/// a failing seed replays with <see cref="OptionsForSeed"/>, from a test (FASTTOTEM_SEED) or the bench `sweep` verb.
/// </summary>
public static class SimSweep
{
    /// <summary>The options of sweep run <paramref name="seed"/>: 2 to <paramref name="nodeCountMax"/> nodes, at least one fault kind.</summary>
    public static SimOptions OptionsForSeed(ulong seed, int nodeCountMax = 6, long durationNs = 20 * SimFormat.NsPerSecond)
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
        $"partitions {(o.Partitions ? "on" : "off")}, crashes {(o.Crashes ? "on" : "off")}, token {o.TokenMs} ms, {o.MessagesPerSecond} msg/s";

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
        return $"FAIL {Describe(result.Options)}: {string.Join(", ", parts)}: {first}";
    }
}
