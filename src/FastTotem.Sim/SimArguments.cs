using System.Globalization;
using System.Text;

namespace FastTotem.Sim;

/// <summary>Parses the `fasttotem sim` command line into <see cref="SimOptions"/>; errors are messages, not exceptions.</summary>
internal static class SimArguments
{
    public const string Usage = """
        usage: fasttotem sim --nodes N --seed S --duration 60s [--loss P] [--dup P] [--reorder P]
                             [--partitions] [--crashes] [--clock-drift PPM] [--pauses] [--one-way] [--type-faults]
                             [--replays] [--buggify] [--cpg] [--all-faults] [--rate R] [--token MS] [--coefficient MS]
                             [--payload B] [--stack full|srp] [--srp-only] [--fault-interval D] [--pause-max D]
                             [--socket-buffer N] [--accelerated]
          --nodes N        ring size, 1 to 32 (default 3)
          --seed S         seed of every random choice, decimal or 0x-hex (default 1)
          --duration D     virtual run time: 60s, 500ms, 2m, 1500ns (default 60s)
          --loss P         per-datagram loss probability during the fault phase, 0 to 1
          --dup P          per-datagram duplication probability during the fault phase
          --reorder P      per-datagram reordering probability during the fault phase
          --partitions     random partitions and heals during the fault phase
          --crashes        random crashes and restarts during the fault phase
          --clock-drift PPM  each node's monotonic clock runs up to PPM fast or slow (0 to 1000; NTP slews 500),
                           from its own boot offset, the rate changing at random
          --pauses         random process/VM pauses (up to --pause-max, default 3s): the node runs nothing, then
                           finds its clock moved on and its socket buffer full
          --one-way        one-way link cuts, clogged links (late, in order) and asymmetric partitions
          --type-faults    bursts of drops, duplicates or delays aimed at one message type (token, mcast, join,
                           commit token, merge detect, token hold cancel)
          --replays        a buggy but honest network: genuine old datagrams (stale tokens, previous rings'
                           joins, commit tokens and messages) arrive again
          --buggify        fault points inside the protocol code force its queue-full and store-full paths
          --cpg            (whole stack) each node also runs a CPG process that multicasts the same messages
                           through CPG and leaves and rejoins its group now and then
          --all-faults     every fault above and --cpg, with loss, dup and reorder 0.02 unless given
          --rate R         application messages per node per virtual second (default 10)
          --token MS       totem token timeout (default 1000); --coefficient MS token_coefficient (default 50)
          --payload B      application data bytes per message, 8 to 1200 (default 16)
          --stack S        full (default): every node runs the whole node machine (SRP, totempg, sync,
                           cmap/cpg/quorum/votequorum), the application sending on totempg group "sim";
                           srp: SRP alone (--srp-only is the same)
          --fault-interval D  mean time between random fault steps (default 2s)
          --socket-buffer N   datagrams a node's socket buffer holds before more are dropped (default 0: unbounded)
          --accelerated    (whole stack) every node has the accelerated ring on: each ring runs accelerated after its
                           synchronisation (token ahead of the visit's new messages)
        Faults happen in the first 70% of the run; the rest is a fault-free liveness phase.
        Exit code 0: every guarantee holds; 1: a violation (printed with a trace); 2: bad arguments.
        """;

    public static bool TryParse(string[] args, out SimOptions options, out string? error)
    {
        options = new SimOptions();
        error = null;
        bool allFaults = false;
        bool lossGiven = false, dupGiven = false, reorderGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--partitions":
                    options.Partitions = true;
                    continue;
                case "--crashes":
                    options.Crashes = true;
                    continue;
                case "--srp-only":
                    options.EngineFactory = SrpSimEngine.Create;
                    continue;
                case "--pauses":
                    options.Pauses = true;
                    continue;
                case "--one-way":
                    options.OneWayLinks = true;
                    continue;
                case "--type-faults":
                    options.TypeFaults = true;
                    continue;
                case "--replays":
                    options.Replays = true;
                    continue;
                case "--buggify":
                    options.Buggify = true;
                    continue;
                case "--all-faults":
                    allFaults = true;
                    continue;
                case "--cpg":
                    options.CpgTraffic = true;
                    continue;
                case "--accelerated":
                    options.Accelerated = true;
                    continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unexpected argument '{arg}'";
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{arg} needs a value";
                return false;
            }

            string value = args[++i];
            lossGiven |= arg == "--loss";
            dupGiven |= arg == "--dup";
            reorderGiven |= arg == "--reorder";
            bool ok = arg switch
            {
                "--nodes" => TryInt(value, 1, SimOptions.NodeCountMax, out options.NodeCount),
                "--seed" => TrySeed(value, out options.Seed),
                "--duration" => SimFormat.TryParseDuration(value, out options.DurationNs),
                "--loss" => TryProbability(value, out options.Loss),
                "--dup" => TryProbability(value, out options.Duplicate),
                "--reorder" => TryProbability(value, out options.Reorder),
                "--rate" => TryDouble(value, 0, 100_000, out options.MessagesPerSecond),
                "--token" => TryInt(value, 30, 600_000, out options.TokenMs),
                "--coefficient" => TryInt(value, 0, 60_000, out options.TokenCoefficientMs),
                "--payload" => TryInt(value, SimPayload.IdSize, 1200, out options.PayloadDataBytes),
                "--clock-drift" => TryInt(value, 0, SimOptions.ClockDriftPpmLimit, out options.ClockDriftPpmMax),
                "--pause-max" => SimFormat.TryParseDuration(value, out options.PauseMaxNs),
                "--fault-interval" => SimFormat.TryParseDuration(value, out options.MeanFaultIntervalNs),
                "--socket-buffer" => TryInt(value, 0, 1_000_000, out options.ReceiveQueueMax),
                "--stack" => TryStack(value, options),
                _ => Unknown(arg, out error),
            };
            if (!ok)
            {
                error ??= $"bad value '{value}' for {arg}";
                return false;
            }
        }

        if (allFaults)
        {
            options.Partitions = options.Crashes = options.Pauses = options.OneWayLinks = true;
            options.TypeFaults = options.Replays = options.Buggify = options.CpgTraffic = true;
            options.ClockDriftPpmMax = options.ClockDriftPpmMax > 0 ? options.ClockDriftPpmMax : 500;
            options.Loss = lossGiven ? options.Loss : 0.02;
            options.Duplicate = dupGiven ? options.Duplicate : 0.02;
            options.Reorder = reorderGiven ? options.Reorder : 0.02;
            if (options.ReceiveQueueMax == 0)
            {
                options.ReceiveQueueMax = 1024;
            }
        }

        error = options.Validate();
        return error == null;
    }

    /// <summary>
    /// The command-line arguments that give back <paramref name="o"/> exactly (every option spelled out, so a replay
    /// does not depend on defaults or on the sweep's generator). A custom engine factory cannot be written out.
    /// </summary>
    public static string Format(SimOptions o)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"--nodes {o.NodeCount} --seed {o.Seed} --duration {SimFormat.Duration(o.DurationNs)}");
        sb.Append(inv, $" --stack {(o.SrpOnly ? "srp" : "full")}");
        sb.Append(inv, $" --loss {o.Loss:R} --dup {o.Duplicate:R} --reorder {o.Reorder:R}");
        sb.Append(o.Partitions ? " --partitions" : "").Append(o.Crashes ? " --crashes" : "");
        sb.Append(inv, $" --clock-drift {o.ClockDriftPpmMax}");
        sb.Append(o.Pauses ? " --pauses" : "").Append(o.OneWayLinks ? " --one-way" : "").Append(o.TypeFaults ? " --type-faults" : "");
        sb.Append(o.Replays ? " --replays" : "").Append(o.Buggify ? " --buggify" : "").Append(o.CpgTraffic ? " --cpg" : "");
        sb.Append(inv, $" --rate {o.MessagesPerSecond:R} --token {o.TokenMs} --coefficient {o.TokenCoefficientMs} --payload {o.PayloadDataBytes}");
        sb.Append(inv, $" --fault-interval {SimFormat.Duration(o.MeanFaultIntervalNs)} --pause-max {SimFormat.Duration(o.PauseMaxNs)}");
        sb.Append(inv, $" --socket-buffer {o.ReceiveQueueMax}");
        sb.Append(o.Accelerated ? " --accelerated" : "");
        return sb.ToString();
    }

    private static bool TryStack(string value, SimOptions options)
    {
        switch (value)
        {
            case "full":
                options.EngineFactory = null;
                return true;
            case "srp":
                options.EngineFactory = SrpSimEngine.Create;
                return true;
            default:
                return false;
        }
    }

    private static bool Unknown(string arg, out string error)
    {
        error = $"unknown option '{arg}'";
        return false;
    }

    private static bool TryInt(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool TryDouble(string text, double min, double max, out double value) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value) &&
        value >= min && value <= max;

    private static bool TryProbability(string text, out double value) => TryDouble(text, 0, 1, out value);

    private static bool TrySeed(string text, out ulong value) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
