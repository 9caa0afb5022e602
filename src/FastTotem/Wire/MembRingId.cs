using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// A ring identifier: the representative's nodeid and the ring sequence number
/// (struct memb_ring_id, totem.h). 12 bytes, packed. corosync compares ring ids as raw bytes,
/// so equality compares both fields.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct MembRingId : IEquatable<MembRingId>
{
    public const int Size = 12;

    public uint Rep;
    public ulong Seq;

    public MembRingId(uint rep, ulong seq)
    {
        Rep = rep;
        Seq = seq;
    }

    /// <summary>Swaps both fields; used when the sender has the other byte order.</summary>
    public readonly MembRingId ReverseEndianness() =>
        new(BinaryPrimitives.ReverseEndianness(Rep), BinaryPrimitives.ReverseEndianness(Seq));

    public readonly bool IsZero => Rep == 0 && Seq == 0;

    public readonly bool Equals(MembRingId other) => Rep == other.Rep && Seq == other.Seq;

    public override readonly bool Equals(object? obj) => obj is MembRingId other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(Rep, Seq);

    public static bool operator ==(MembRingId left, MembRingId right) => left.Equals(right);

    public static bool operator !=(MembRingId left, MembRingId right) => !left.Equals(right);

    /// <summary>Decimal "rep.seq", as INDEX.md and our logs write it (corosync's own log uses hex).</summary>
    public override readonly string ToString() => $"{Rep}.{Seq}";
}
