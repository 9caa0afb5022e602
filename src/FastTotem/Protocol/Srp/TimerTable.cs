namespace FastTotem.Protocol.Srp;

/// <summary>A deadline per <see cref="SrpTimer"/>; long.MaxValue means not armed.</summary>
internal sealed class TimerTable
{
    /// <summary>One deadline per <see cref="SrpTimer"/> member, counted from the enum itself.</summary>
    public static readonly int Count = Enum.GetValues<SrpTimer>().Length;

    private readonly long[] _deadlines = new long[Count];

    public TimerTable() => CancelAll();

    public void Arm(SrpTimer timer, long deadlineNs) => _deadlines[(int)timer] = deadlineNs;

    public void Cancel(SrpTimer timer) => _deadlines[(int)timer] = long.MaxValue;

    public bool IsArmed(SrpTimer timer) => _deadlines[(int)timer] != long.MaxValue;

    public long Deadline(SrpTimer timer) => _deadlines[(int)timer];

    public void CancelAll() => Array.Fill(_deadlines, long.MaxValue);

    public long Earliest()
    {
        long min = long.MaxValue;
        for (int i = 0; i < Count; i++)
        {
            if (_deadlines[i] < min)
            {
                min = _deadlines[i];
            }
        }

        return min;
    }

    /// <summary>The first timer (in enum order among equal deadlines) due at <paramref name="nowNs"/>, disarmed.</summary>
    public bool TryTakeDue(long nowNs, out SrpTimer timer)
    {
        int best = -1;
        long min = long.MaxValue;
        for (int i = 0; i < Count; i++)
        {
            if (_deadlines[i] <= nowNs && _deadlines[i] < min)
            {
                min = _deadlines[i];
                best = i;
            }
        }

        if (best < 0)
        {
            timer = default;
            return false;
        }

        _deadlines[best] = long.MaxValue;
        timer = (SrpTimer)best;
        return true;
    }
}
