using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The fixed 57-byte part of the ordering token, type 0 (struct orf_token, totemsrp.c), packed.
/// <see cref="RtrListEntries"/> <see cref="RtrItem"/>s follow it on the wire; <see cref="OrfTokenCodec"/>
/// moves them through a separate span.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct OrfToken
{
    public const int Size = 57;

    public TotemHeader Header;

    /// <summary>Highest message seq assigned on this ring so far.</summary>
    public uint Seq;

    /// <summary>Rotation counter, +1 on every forward; a receiver drops tokens not above the last one.</summary>
    public uint TokenSeq;

    /// <summary>All received up to: the lowest aru reported around the ring.</summary>
    public uint Aru;

    /// <summary>The nodeid that last lowered <see cref="Aru"/>; 0 when aru == seq.</summary>
    public uint AruAddr;

    public MembRingId RingId;

    /// <summary>Sum of the members' send-queue backlogs (flow control).</summary>
    public uint Backlog;

    /// <summary>Messages sent during the last rotation (flow control).</summary>
    public uint Fcc;

    /// <summary>1 while some member still has recovery messages to send.</summary>
    public int RetransFlg;

    /// <summary>Number of rtr items that follow; 0–30 in any token the codec accepts.</summary>
    public int RtrListEntries;
}
