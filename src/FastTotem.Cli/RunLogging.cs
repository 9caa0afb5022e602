using FastTotem.Capture;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace FastTotem.Cli;

/// <summary>
/// <c>fasttotem run</c>'s logger: Microsoft.Extensions.Logging.Console, one line per record on stderr
/// (<c>07:40:01.123 info: FastTotem.TotemNode[3] node 1: ring 1.9 formed with members [1, 2]; joined [2], left []</c>),
/// coloured only on a terminal. stdout keeps the lines scripts read (--events -, CPG deliveries).
/// </summary>
internal static class RunLogging
{
    public const string LevelNames = "trace, debug, information, warning, error, critical, none";

    public static bool TryParseLevel(string? text, out LogLevel level)
    {
        (bool ok, level) = text?.ToLowerInvariant() switch
        {
            "trace" => (true, LogLevel.Trace),
            "debug" => (true, LogLevel.Debug),
            "information" or "info" => (true, LogLevel.Information),
            "warning" or "warn" => (true, LogLevel.Warning),
            "error" => (true, LogLevel.Error),
            "critical" => (true, LogLevel.Critical),
            "none" => (true, LogLevel.None),
            _ => (false, LogLevel.Information),
        };
        return ok;
    }

    /// <summary>A factory logging <paramref name="minimum"/> and above to stderr; disposing it writes what is queued.</summary>
    public static ILoggerFactory CreateFactory(LogLevel minimum) =>
        LoggerFactory.Create(builder => builder
            .SetMinimumLevel(minimum)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = TerminalProgress.IsTerminal ? LoggerColorBehavior.Enabled : LoggerColorBehavior.Disabled;
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
