using System.Globalization;

namespace FastTotem.Sim;

/// <summary>Parses the `fasttotem sim` command line into <see cref="SimOptions"/>; errors are messages, not exceptions.</summary>
public static class SimArguments
{
    public const string Usage = """
        usage: fasttotem sim --nodes N --seed S --duration 60s [--loss P] [--dup P] [--reorder P]
                             [--partitions] [--crashes] [--rate R] [--token MS] [--coefficient MS] [--payload B] [--srp-only]
          --nodes N        ring size, 1 to 32 (default 3)
          --seed S         seed of every random choice, decimal or 0x-hex (default 1)
          --duration D     virtual run time: 60s, 500ms, 2m (default 60s)
          --loss P         per-datagram loss probability during the fault phase, 0 to 1
          --dup P          per-datagram duplication probability during the fault phase
          --reorder P      per-datagram reordering probability during the fault phase
          --partitions     random partitions and heals during the fault phase
          --crashes        random crashes and restarts during the fault phase
          --rate R         application messages per node per virtual second (default 10)
          --token MS       totem token timeout (default 1000); --coefficient MS token_coefficient (default 50)
          --payload B      application data bytes per message, 8 to 1200 (default 16)
          --srp-only       run SRP alone; by default every node runs the whole node machine (SRP, totempg,
                           sync, cmap/cpg/quorum/votequorum), the application sending on totempg group "sim"
        Faults happen in the first 70% of the run; the rest is a fault-free liveness phase.
        Exit code 0: every guarantee holds; 1: a violation (printed with a trace); 2: bad arguments.
        """;

    public static bool TryParse(string[] args, out SimOptions options, out string? error)
    {
        options = new SimOptions();
        error = null;
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
                _ => Unknown(arg, out error),
            };
            if (!ok)
            {
                error ??= $"bad value '{value}' for {arg}";
                return false;
            }
        }

        error = options.Validate();
        return error == null;
    }

    private static bool Unknown(string arg, out string error)
    {
        error = $"unknown option '{arg}'";
        return false;
    }

    private static bool TryInt(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool TryDouble(string text, double min, double max, out double value) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value) &&
        value >= min && value <= max;

    private static bool TryProbability(string text, out double value) => TryDouble(text, 0, 1, out value);

    private static bool TrySeed(string text, out ulong value) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
