namespace FastTotem.Fuzz;

/// <summary>
/// A <see cref="FuzzRing"/> built once in a prepared state and snapshotted; <see cref="Restore"/> puts the same ring
/// back into that state for the next input (a few hundred microseconds instead of building three node stacks).
/// </summary>
internal sealed class PreparedRing
{
    private readonly FuzzRing _ring;
    private readonly GraphSnapshot _snapshot;

    public PreparedRing(Func<FuzzRing> prepare)
    {
        _ring = prepare();
        _snapshot = GraphSnapshot.Take(_ring);
        _ring.PoolPackets();
    }

    public GraphSnapshot Snapshot => _snapshot;

    public FuzzRing Restore()
    {
        _ring.ReturnPooledPackets();
        _snapshot.Restore();
        _ring.PoolPackets();
        return _ring;
    }
}
