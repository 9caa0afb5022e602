using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Codec for the CPG joinlist (fn 2): a 24-byte qb_ipc_response_header, then one join_list_entry per local
/// process of the sender (docs/wire-format.md §11.5). corosync walks entries while the offset is below header.size; we
/// first check that size lies inside the buffer and is a whole number of entries.
/// </summary>
internal static class CpgJoinList
{
    public static int EncodedLength(int entryCount) => QbIpcResponseHeader.Size + (entryCount * CpgJoinListEntry.Size);

    /// <summary>Validates the header; size is swapped for a foreign-endian sender (exec_cpg_joinlist_endian_convert).</summary>
    public static WireError TryParse(ReadOnlySpan<byte> source, bool foreignEndian, out QbIpcResponseHeader header, out int entryCount)
    {
        entryCount = 0;
        if (source.Length < QbIpcResponseHeader.Size)
        {
            header = default;
            return WireError.Truncated;
        }

        header = MemoryMarshal.Read<QbIpcResponseHeader>(source);
        if (foreignEndian)
        {
            header.MessageSize = BinaryPrimitives.ReverseEndianness(header.MessageSize);
        }

        if (header.MessageSize < QbIpcResponseHeader.Size || header.MessageSize > source.Length)
        {
            return WireError.CountBeyondPacket;
        }

        int body = header.MessageSize - QbIpcResponseHeader.Size;
        if (body % CpgJoinListEntry.Size != 0)
        {
            return WireError.LengthMismatch;
        }

        entryCount = body / CpgJoinListEntry.Size;
        return WireError.None;
    }

    /// <summary>Reads entry <paramref name="index"/> of a list validated by <see cref="TryParse"/>.</summary>
    public static WireError TryReadEntry(ReadOnlySpan<byte> source, int index, bool foreignEndian, out CpgJoinListEntry entry)
    {
        int offset = QbIpcResponseHeader.Size + (index * CpgJoinListEntry.Size);
        if (index < 0 || offset + CpgJoinListEntry.Size > source.Length)
        {
            entry = default;
            return WireError.CountBeyondPacket;
        }

        entry = MemoryMarshal.Read<CpgJoinListEntry>(source.Slice(offset));
        if (foreignEndian)
        {
            entry.Swap();
        }

        return entry.GroupName.IsValid ? WireError.None : WireError.CountTooLarge;
    }

    /// <summary>Writes the response header (id 0x00020002, error 0) for <paramref name="entryCount"/> entries.</summary>
    public static WireError TryWriteHeader(Span<byte> destination, int entryCount)
    {
        if (destination.Length < QbIpcResponseHeader.Size)
        {
            return WireError.DestinationTooSmall;
        }

        QbIpcResponseHeader header = default;
        header.Id = QbIpcRequestHeader.MakeId(CpgExecFunction.ServiceId, CpgExecFunction.JoinList);
        header.MessageSize = EncodedLength(entryCount);
        MemoryMarshal.Write(destination, in header);
        return WireError.None;
    }

    /// <summary>Writes a raw response header as decoded (pads included), for byte-exact re-encoding.</summary>
    public static WireError TryWriteHeader(Span<byte> destination, in QbIpcResponseHeader header)
    {
        if (destination.Length < QbIpcResponseHeader.Size)
        {
            return WireError.DestinationTooSmall;
        }

        MemoryMarshal.Write(destination, in header);
        return WireError.None;
    }

    public static WireError TryWriteEntry(Span<byte> destination, int index, in CpgJoinListEntry entry)
    {
        int offset = QbIpcResponseHeader.Size + (index * CpgJoinListEntry.Size);
        if (index < 0 || offset + CpgJoinListEntry.Size > destination.Length)
        {
            return WireError.DestinationTooSmall;
        }

        MemoryMarshal.Write(destination.Slice(offset), in entry);
        return WireError.None;
    }
}
