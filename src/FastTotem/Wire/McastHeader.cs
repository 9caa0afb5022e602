using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The 45-byte header of a multicast message, type 1 (struct mcast, totemsrp.c), packed. The payload
/// follows it: a totempg packet when <see cref="TotemHeader.EncapsulatedFlag"/> is
/// <see cref="TotemHeader.NotEncapsulated"/>, or a complete old-ring mcast when it is
/// <see cref="TotemHeader.Encapsulated"/> (a recovery re-send).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct McastHeader
{
    public const int Size = 45;

    public TotemHeader Header;

    /// <summary>The originator (srp_addr); equals <see cref="TotemHeader.NodeId"/>.</summary>
    public uint SystemFrom;

    /// <summary>Position in the ring's total order; the first message of a ring has seq 1.</summary>
    public uint Seq;

    /// <summary>Per-process send counter, never reset; no receiver reads it.</summary>
    public int ThisSeqno;

    /// <summary>The ring in which <see cref="Seq"/> was assigned.</summary>
    public MembRingId RingId;

    /// <summary>Always 0 on the wire; nobody reads it.</summary>
    public uint NodeId;

    /// <summary>Always 0 (TOTEM_AGREED); receivers ignore it.</summary>
    public int Guarantee;

    /// <summary>True for a recovery mcast whose payload is an old-ring mcast.</summary>
    public readonly bool IsEncapsulated => Header.EncapsulatedFlag == TotemHeader.Encapsulated;
}
