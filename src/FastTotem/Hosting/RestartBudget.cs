namespace FastTotem.Hosting;

/// <summary>
/// How often a supervisor may start a fresh node after protocol faults: at most <c>maxRestarts</c> within any
/// <c>windowNs</c> (<c>fasttotem run</c>: 5 a minute). Time is monotonic nanoseconds, passed in.
/// </summary>
internal sealed class RestartBudget
{
    private readonly long[] _recent;
    private readonly long _windowNs;
    private int _next;

    public RestartBudget(int maxRestarts, long windowNs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRestarts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowNs, 1);
        _recent = new long[maxRestarts];
        Array.Fill(_recent, long.MinValue);
        _windowNs = windowNs;
    }

    /// <summary>Restarts granted so far.</summary>
    public int Restarts { get; private set; }

    /// <summary>True (and counted) when a restart at <paramref name="nowNs"/> stays within the budget.</summary>
    public bool TryRestart(long nowNs)
    {
        // The oldest of the last maxRestarts restarts must have left the window.
        long oldest = _recent[_next];
        if (oldest != long.MinValue && nowNs - oldest < _windowNs)
        {
            return false;
        }

        _recent[_next] = nowNs;
        _next = (_next + 1) % _recent.Length;
        Restarts++;
        return true;
    }
}
