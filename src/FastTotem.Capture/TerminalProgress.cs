using System.Diagnostics;
using System.Globalization;

namespace FastTotem.Capture;

/// <summary>
/// A progress line on stderr, rewritten in place at most ten times a second, for a decode of a large capture. It
/// exists only when stderr is the process's own terminal: piped or redirected (a script, a test), nothing is shown.
/// </summary>
internal sealed class TerminalProgress
{
    private readonly TextWriter _error;
    private readonly string _what;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastMs = -1000;
    private int _width;

    private TerminalProgress(TextWriter error, string what)
    {
        _error = error;
        _what = what;
    }

    /// <summary>A progress line on <paramref name="error"/> when that is stderr on a terminal; otherwise null.</summary>
    public static TerminalProgress? OnTerminal(TextWriter error, string what) =>
        ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected ? new TerminalProgress(error, what) : null;

    public void Report(int done, int total)
    {
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastMs < 100)
        {
            return;
        }

        _lastMs = now;
        string line = string.Create(CultureInfo.InvariantCulture, $"{_what} {done:N0} of {total:N0} ({100.0 * done / Math.Max(1, total):0} %)");
        _width = Math.Max(_width, line.Length);
        _error.Write("\r" + line.PadRight(_width));
    }

    /// <summary>Removes the line, so what is written next starts on a clean one.</summary>
    public void Clear()
    {
        if (_width > 0)
        {
            _error.Write("\r" + new string(' ', _width) + "\r");
        }
    }
}
