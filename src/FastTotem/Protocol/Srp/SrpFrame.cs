using System.Buffers.Binary;
using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// Field offsets of the packed Totem SRP messages (WIRE.md §2–§5) and little-endian read/write helpers with
/// receiver-makes-right swapping. A small private helper of the engine: the full SRP codec lives in Wire/.
/// </summary>
internal static class SrpFrame
{
    public const int HeaderSize = TotemHeader.Size;
    public const int HeaderTypeOffset = 3;
    public const int HeaderEncapsulatedOffset = 4;
    public const int HeaderNodeIdOffset = 5;

    // struct orf_token
    public const int TokenSeqOffset = 13;
    public const int TokenTokenSeqOffset = 17;
    public const int TokenAruOffset = 21;
    public const int TokenAruAddrOffset = 25;
    public const int TokenRingIdOffset = 29;
    public const int TokenBacklogOffset = 41;
    public const int TokenFccOffset = 45;
    public const int TokenRetransFlgOffset = 49;
    public const int TokenRtrEntriesOffset = 53;
    public const int TokenHeaderSize = 57;
    public const int RtrItemSize = 16;

    // struct mcast
    public const int McastSystemFromOffset = 13;
    public const int McastSeqOffset = 17;
    public const int McastThisSeqnoOffset = 21;
    public const int McastRingIdOffset = 25;
    public const int McastNodeIdOffset = 37;
    public const int McastGuaranteeOffset = 41;
    public const int McastHeaderSize = 45;

    // struct memb_merge_detect
    public const int MergeSystemFromOffset = 13;
    public const int MergeRingIdOffset = 17;
    public const int MergeDetectSize = 29;

    // struct memb_join
    public const int JoinSystemFromOffset = 13;
    public const int JoinProcEntriesOffset = 17;
    public const int JoinFailedEntriesOffset = 21;
    public const int JoinRingSeqOffset = 25;
    public const int JoinHeaderSize = 33;

    // struct memb_commit_token
    public const int CommitTokenSeqOffset = 13;
    public const int CommitRingIdOffset = 17;
    public const int CommitRetransFlgOffset = 29;
    public const int CommitMembIndexOffset = 33;
    public const int CommitAddrEntriesOffset = 37;
    public const int CommitHeaderSize = 41;
    public const int CommitMembEntrySize = 24;

    // struct token_hold_cancel
    public const int HoldCancelRingIdOffset = 13;
    public const int HoldCancelSize = 25;

    public static bool IsForeignEndian(ReadOnlySpan<byte> frame) =>
        BinaryPrimitives.ReadUInt16LittleEndian(frame) == TotemHeader.MagicSwapped;

    public static uint ReadU32(ReadOnlySpan<byte> b, int offset, bool swap) =>
        swap ? BinaryPrimitives.ReadUInt32BigEndian(b[offset..]) : BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]);

    public static ulong ReadU64(ReadOnlySpan<byte> b, int offset, bool swap) =>
        swap ? BinaryPrimitives.ReadUInt64BigEndian(b[offset..]) : BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);

    public static MembRingId ReadRingId(ReadOnlySpan<byte> b, int offset, bool swap) =>
        new(ReadU32(b, offset, swap), ReadU64(b, offset + 4, swap));

    public static void WriteU32(Span<byte> b, int offset, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(b[offset..], value);

    public static void WriteU64(Span<byte> b, int offset, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(b[offset..], value);

    public static void WriteRingId(Span<byte> b, int offset, MembRingId ringId)
    {
        WriteU32(b, offset, ringId.Rep);
        WriteU64(b, offset + 4, ringId.Seq);
    }

    /// <summary>Writes the 13-byte header in our (little-endian) order; target_nodeid is always 0.</summary>
    public static void WriteHeader(Span<byte> b, MessageType type, byte encapsulated, uint nodeId)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b, TotemHeader.MagicValue);
        b[2] = TotemHeader.VersionValue;
        b[HeaderTypeOffset] = (byte)type;
        b[HeaderEncapsulatedOffset] = encapsulated;
        WriteU32(b, HeaderNodeIdOffset, nodeId);
        WriteU32(b, 9, 0);
    }

    /// <summary>Writes a complete 45-byte mcast header.</summary>
    public static void WriteMcastHeader(
        Span<byte> b, byte encapsulated, uint nodeId, uint seq, uint thisSeqno, MembRingId ringId)
    {
        WriteHeader(b, MessageType.Mcast, encapsulated, nodeId);
        WriteU32(b, McastSystemFromOffset, nodeId);
        WriteU32(b, McastSeqOffset, seq);
        WriteU32(b, McastThisSeqnoOffset, thisSeqno);
        WriteRingId(b, McastRingIdOffset, ringId);
        WriteU32(b, McastNodeIdOffset, 0);
        WriteU32(b, McastGuaranteeOffset, 0);
    }
}
