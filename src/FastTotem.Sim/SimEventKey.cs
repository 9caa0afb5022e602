namespace FastTotem.Sim;

/// <summary>Queue order: virtual time, then insertion sequence, so equal times pop in a reproducible order.</summary>
internal readonly record struct SimEventKey(long TimeNs, long Sequence) : IComparable<SimEventKey>
{
    public int CompareTo(SimEventKey other)
    {
        int c = TimeNs.CompareTo(other.TimeNs);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}
