using System.Globalization;
using FastTotem.Capture;
using FastTotem.Sim;

namespace FastTotem.Lab;

/// <summary>`fasttotem sim`: one deterministic simulated run, checked against the Totem guarantees.</summary>
internal static class SimCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 1 && (args[0] == "-h" || args[0] == "--help"))
        {
            Console.WriteLine(SimArguments.Usage);
            return 0;
        }

        if (!SimArguments.TryParse(args, out SimOptions options, out string? error))
        {
            Console.Error.WriteLine($"fasttotem sim: {error}");
            Console.Error.WriteLine(SimArguments.Usage);
            return 2;
        }

        // On a terminal: how far the virtual clock is; piped, stdout and stderr are exactly as without it.
        TerminalProgress? progress = TerminalProgress.OnTerminal("fasttotem sim: virtual second");
        long seconds = Math.Max(1, options.DurationNs / SimFormat.NsPerSecond);
        SimRunResult result = SimRunner.Run(options, progress == null ? null : (nowNs, events) =>
            progress.Report(Math.Min(seconds, nowNs / SimFormat.NsPerSecond), seconds, string.Create(CultureInfo.InvariantCulture, $"{events:N0} events")));
        progress?.Clear();
        Console.Write(result.Summary());
        if (result.Report.Passed)
        {
            return 0;
        }

        foreach (Violation v in result.Report.Violations)
        {
            Console.WriteLine();
            Console.Write(v.ToString());
        }

        Console.WriteLine();
        Console.WriteLine($"replay: fasttotem sim {string.Join(' ', args)}");
        // Every option spelled out: replays the same run even after a default changes.
        Console.WriteLine($"exact:  {SimSweep.ReplayCommand(options)}");
        return 1;
    }
}
