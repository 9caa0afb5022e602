using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The fixed 8-byte part of a totempg packet inside an mcast payload (struct totempg_mcast, totempg.c),
/// followed on the wire by <c>unsigned short msg_len[msg_count]</c> and the entries (docs/wire-format.md §7.1).
/// Packed: corosync's struct has no holes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct PgMcastHeader
{
    public const int Size = 8;

    /// <summary>Always 0 (totempg_mcast_header.version).</summary>
    public short Version;

    /// <summary>Always 0 (totempg_mcast_header.type).</summary>
    public short Type;

    /// <summary>0 when the last entry is complete; otherwise the fragment number of the last entry.</summary>
    public byte Fragmented;

    /// <summary>0 when the first entry starts a message; otherwise the fragment number it continues.</summary>
    public byte Continuation;

    /// <summary>Number of msg_len entries that follow (swap16 for a foreign-endian sender).</summary>
    public ushort MsgCount;
}
