using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// One member's report in a commit token (struct memb_commit_token_memb_entry, totemsrp.c). 24 bytes,
/// packed. All zero until that member fills it in.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct MembCommitTokenMembEntry
{
    public const int Size = 24;

    /// <summary>The member's previous ring; rep 0 means the entry is not filled in yet.</summary>
    public MembRingId RingId;

    /// <summary>The member's aru in its previous ring.</summary>
    public uint Aru;

    /// <summary>Highest seq the member delivered in its previous ring.</summary>
    public uint HighDelivered;

    /// <summary>1 when the member had every message up to its highest seq.</summary>
    public uint ReceivedFlg;

    public MembCommitTokenMembEntry(MembRingId ringId, uint aru, uint highDelivered, uint receivedFlg)
    {
        RingId = ringId;
        Aru = aru;
        HighDelivered = highDelivered;
        ReceivedFlg = receivedFlg;
    }

    /// <summary>Every field swapped (memb_commit_token_endian_convert swaps only filled-in entries).</summary>
    public readonly MembCommitTokenMembEntry ReverseEndianness() =>
        new(RingId.ReverseEndianness(),
            BinaryPrimitives.ReverseEndianness(Aru),
            BinaryPrimitives.ReverseEndianness(HighDelivered),
            BinaryPrimitives.ReverseEndianness(ReceivedFlg));
}
