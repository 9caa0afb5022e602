using FastTotem.Wire;

namespace FastTotem;

/// <summary>
/// A ring's identity as corosync names it (struct memb_ring_id): the representative's nodeid and the ring sequence
/// number. The one ring-id type of the public API: ring changes, synchronisations and gather reports carry it.
/// </summary>
/// <param name="Rep">The ring representative's nodeid.</param>
/// <param name="Seq">The ring sequence number (grows with every new ring; kept across restarts in state_dir).</param>
public readonly record struct RingId(uint Rep, ulong Seq)
{
    internal RingId(MembRingId wire)
        : this(wire.Rep, wire.Seq)
    {
    }

    /// <summary>Decimal "rep.seq", as the CLI and logs write it.</summary>
    public override string ToString() => $"{Rep}.{Seq}";
}
