using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using FastTotem.Capture;

namespace FastTotem.Fuzz;

/// <summary>
/// <c>FastTotem.Fuzz watch TARGET STATS SECONDS</c>: the progress line of an afl-fuzz campaign that ./build.sh runs
/// without AFL's screen (its output goes to a log): every second the campaign's fuzzer_stats, rewritten in place on a
/// terminal. With stderr piped it exits at once, printing nothing. It ends on SIGTERM (build.sh sends it when afl-fuzz
/// returns), clearing its line first.
/// </summary>
internal static class AflProgress
{
    public static int Run(string target, string statsPath, long seconds)
    {
        TerminalProgress? progress = TerminalProgress.OnTerminal($"afl-fuzz {target}: second");
        if (progress == null)
        {
            return 0;
        }

        using var stop = new ManualResetEventSlim();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        var clock = Stopwatch.StartNew();
        do
        {
            progress.Report(Math.Min(seconds, (long)clock.Elapsed.TotalSeconds), seconds, Describe(statsPath));
        }
        while (!stop.Wait(1000));

        progress.Clear();
        return 0;
    }

    /// <summary>The campaign's figures from fuzzer_stats, or what it is waiting for before AFL++ writes the file.</summary>
    internal static string Describe(string statsPath)
    {
        Dictionary<string, string> stats;
        try
        {
            stats = Parse(File.ReadAllText(statsPath));
        }
        catch (IOException)
        {
            return "starting (dotnet's fork server, then calibration)";
        }

        string Get(string key) => stats.TryGetValue(key, out string? v) ? v : "?";
        string execs = long.TryParse(Get("execs_done"), NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            ? n.ToString("N0", CultureInfo.InvariantCulture) : Get("execs_done");
        string rate = double.TryParse(Get("execs_per_sec"), NumberStyles.Float, CultureInfo.InvariantCulture, out double r)
            ? r.ToString("N0", CultureInfo.InvariantCulture) : Get("execs_per_sec");
        return $"{execs} execs ({rate}/s), {Get("edges_found")} edges, {Get("saved_crashes")} crashes, {Get("saved_hangs")} hangs";
    }

    /// <summary>fuzzer_stats lines are "name    : value".</summary>
    internal static Dictionary<string, string> Parse(string text)
    {
        var stats = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                stats[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return stats;
    }
}
