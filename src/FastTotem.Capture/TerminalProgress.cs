using System.Diagnostics;
using System.Globalization;

namespace FastTotem.Capture;

/// <summary>
/// The one progress line of the tooling's long operations (decode of a large capture, bench, sim, the simulator sweep,
/// the fuzz runs): on stderr, rewritten in place with a carriage return at most ten times a second. It exists only
/// when stderr is the process's own terminal: piped or redirected (a script, a test, CI), nothing is shown and stdout
/// is the same either way.
/// </summary>
internal sealed class TerminalProgress
{
    /// <summary>Updates closer together than this are skipped (unless forced).</summary>
    public const int IntervalMs = 100;

    private readonly TextWriter _error;
    private readonly string _what;
    private readonly Func<long> _nowMs;
    private readonly int _columns;
    private readonly long _startMs;
    private long _lastMs = long.MinValue / 2;
    private int _width;

    internal TerminalProgress(TextWriter error, string what, Func<long> nowMs, int columns)
    {
        _error = error;
        _what = what;
        _nowMs = nowMs;
        _columns = Math.Max(20, columns);
        _startMs = nowMs();
    }

    /// <summary>Whether stderr is a terminal: the one test every command's progress output goes by.</summary>
    public static bool IsTerminal => !Console.IsErrorRedirected;

    /// <summary>A progress line on stderr when that is a terminal; otherwise null.</summary>
    public static TerminalProgress? OnTerminal(string what) => OnTerminal(Console.Error, what);

    /// <summary>A progress line on <paramref name="error"/> when that is stderr on a terminal; otherwise null.</summary>
    public static TerminalProgress? OnTerminal(TextWriter error, string what)
    {
        if (!ReferenceEquals(error, Console.Error) || !IsTerminal)
        {
            return null;
        }

        var clock = Stopwatch.StartNew();
        return new TerminalProgress(error, what, () => clock.ElapsedMilliseconds, TerminalColumns());
    }

    /// <summary>"WHAT done of total (P %)", with the rate and the time left once they mean something.</summary>
    public void Report(long done, long total, string? detail = null)
    {
        long now = _nowMs();
        if (now - _lastMs < IntervalMs && done < total)
        {
            return;
        }

        Write(Line(_what, done, total, now - _startMs, detail), now);
    }

    /// <summary>"WHAT text"; <paramref name="force"/> shows it even right after the last update.</summary>
    public void Show(string text, bool force = false)
    {
        long now = _nowMs();
        if (!force && now - _lastMs < IntervalMs)
        {
            return;
        }

        Write(_what.Length == 0 ? text : _what + " " + text, now);
    }

    /// <summary>Removes the line, so what is written next (on stdout or stderr) starts on a clean one.</summary>
    public void Clear()
    {
        if (_width > 0)
        {
            _error.Write("\r" + new string(' ', _width) + "\r");
            _error.Flush();
            _width = 0;
            _lastMs = long.MinValue / 2;
        }
    }

    /// <summary>The progress text: <c>decode: datagram 1,234 of 10,000 (12 %), 3 s left</c>.</summary>
    public static string Line(string what, long done, long total, long elapsedMs, string? detail = null)
    {
        var inv = CultureInfo.InvariantCulture;
        string head = what.Length == 0 ? "" : what + " ";
        string line = total > 0
            ? string.Create(inv, $"{head}{done:N0} of {total:N0} ({Percent(done, total)} %)")
            : string.Create(inv, $"{head}{done:N0}");
        if (detail != null)
        {
            line += ", " + detail;
        }

        string left = Remaining(done, total, elapsedMs);
        return left.Length == 0 ? line : line + ", " + left;
    }

    /// <summary>Whole percent, 100 only when done: 99.7 % shows as 99.</summary>
    public static long Percent(long done, long total) =>
        total <= 0 ? 0 : done >= total ? 100 : Math.Clamp(done * 100 / total, 0, 99);

    /// <summary>
    /// The time left at the rate so far, "12 s left", "3 min left", "1 h 5 min left"; empty before one second has
    /// passed or anything is done (too little to tell) and once everything is.
    /// </summary>
    public static string Remaining(long done, long total, long elapsedMs)
    {
        if (done <= 0 || total <= 0 || done >= total || elapsedMs < 1000)
        {
            return "";
        }

        long seconds = (long)Math.Ceiling(elapsedMs / 1000.0 * (total - done) / done);
        return seconds switch
        {
            < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds} s left"),
            < 3600 => string.Create(CultureInfo.InvariantCulture, $"{(seconds + 59) / 60} min left"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600} h {seconds % 3600 / 60} min left"),
        };
    }

    /// <summary>The line cut to the terminal's width (a wrapped line cannot be rewritten in place) and padded over the last.</summary>
    internal static string Fit(string line, int columns, int previousWidth)
    {
        if (line.Length >= columns)
        {
            line = line[..(columns - 1)];
        }

        return line.PadRight(Math.Min(previousWidth, columns - 1));
    }

    private void Write(string line, long now)
    {
        _lastMs = now;
        string text = Fit(line, _columns, _width);
        _width = text.Length;
        _error.Write("\r" + text);
        _error.Flush();
    }

    private static int TerminalColumns()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 0 ? width : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }
}
