using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// One retransmit request inside an orf_token (struct rtr_item, totemsrp.c). 16 bytes, packed.
/// A holder answers it only when <see cref="RingId"/> is its current ring.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct RtrItem
{
    public const int Size = 16;

    public MembRingId RingId;
    public uint Seq;

    public RtrItem(MembRingId ringId, uint seq)
    {
        RingId = ringId;
        Seq = seq;
    }

    /// <summary>Every field swapped, as orf_token_endian_convert does for each list entry.</summary>
    public readonly RtrItem ReverseEndianness() =>
        new(RingId.ReverseEndianness(), BinaryPrimitives.ReverseEndianness(Seq));
}
