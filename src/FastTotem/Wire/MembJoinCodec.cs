using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Decodes and encodes memb_join (struct memb_join + proc_list[] + failed_list[], totemsrp.c), LEAVE
/// included.
/// </summary>
/// <remarks>
/// Receive checks follow check_memb_join_sanity with Debian's CVE-2026-35092 fix: at least 33 bytes,
/// each list at most 384 entries, and room for both lists. Extra bytes are ignored, as corosync does.
/// </remarks>
internal static class MembJoinCodec
{
    /// <summary>Wire size of a join with the given list lengths.</summary>
    public static int GetEncodedLength(int procCount, int failedCount) =>
        MembJoin.Size + (procCount + failedCount) * sizeof(uint);

    /// <summary>
    /// Validates and decodes a received join. Both lists are always copied (and swapped for a sender
    /// of the other byte order, as memb_join_endian_convert does) into the caller's spans; their first
    /// <see cref="MembJoin.ProcListEntries"/> and <see cref="MembJoin.FailedListEntries"/> entries are
    /// valid. Spans of <see cref="WireLimits.ProcessorCountMax"/> always suffice; shorter ones give
    /// <see cref="WireError.DestinationTooSmall"/> when a list does not fit.
    /// </summary>
    public static WireError TryDecode(
        ReadOnlySpan<byte> datagram, out MembJoin join, Span<uint> procList, Span<uint> failedList)
    {
        join = default;
        WireError error = TotemDatagram.TryParseAs(
            datagram, MessageType.MembJoin, out TotemHeader header, out bool foreignEndian);
        if (error != WireError.None)
        {
            return error;
        }

        if (datagram.Length < MembJoin.Size)
        {
            return WireError.Truncated;
        }

        join = MemoryMarshal.Read<MembJoin>(datagram);
        if (foreignEndian)
        {
            join.SystemFrom = BinaryPrimitives.ReverseEndianness(join.SystemFrom);
            join.ProcListEntries = BinaryPrimitives.ReverseEndianness(join.ProcListEntries);
            join.FailedListEntries = BinaryPrimitives.ReverseEndianness(join.FailedListEntries);
            join.RingSeq = BinaryPrimitives.ReverseEndianness(join.RingSeq);
        }

        join.Header = header;
        if (join.ProcListEntries > WireLimits.ProcessorCountMax || join.FailedListEntries > WireLimits.ProcessorCountMax)
        {
            return WireError.CountTooLarge;
        }

        int procCount = (int)join.ProcListEntries;
        int failedCount = (int)join.FailedListEntries;
        if (datagram.Length < GetEncodedLength(procCount, failedCount))
        {
            return WireError.CountBeyondPacket;
        }

        if (procList.Length < procCount || failedList.Length < failedCount)
        {
            return WireError.DestinationTooSmall;
        }

        ReadOnlySpan<uint> wireProc = MemoryMarshal.Cast<byte, uint>(datagram.Slice(MembJoin.Size, procCount * sizeof(uint)));
        ReadOnlySpan<uint> wireFailed = MemoryMarshal.Cast<byte, uint>(
            datagram.Slice(MembJoin.Size + procCount * sizeof(uint), failedCount * sizeof(uint)));
        if (foreignEndian)
        {
            BinaryPrimitives.ReverseEndianness(wireProc, procList.Slice(0, procCount));
            BinaryPrimitives.ReverseEndianness(wireFailed, failedList.Slice(0, failedCount));
        }
        else
        {
            wireProc.CopyTo(procList);
            wireFailed.CopyTo(failedList);
        }

        return WireError.None;
    }

    /// <summary>
    /// Writes a join, little-endian. Magic, version and type are forced; the header nodeid is written
    /// as given (0 makes a LEAVE). The count fields of <paramref name="join"/> are ignored: the counts
    /// written are the lists' lengths, each at most 384.
    /// </summary>
    public static WireError TryEncode(
        in MembJoin join, ReadOnlySpan<uint> procList, ReadOnlySpan<uint> failedList, Span<byte> destination, out int written)
    {
        TotemDatagram.EnsureLittleEndianHost();
        if (procList.Length > WireLimits.ProcessorCountMax || failedList.Length > WireLimits.ProcessorCountMax)
        {
            Invariant.ThrowArgument(nameof(procList), "A join list holds at most 384 nodeids.");
        }

        int length = GetEncodedLength(procList.Length, failedList.Length);
        if (destination.Length < length)
        {
            written = 0;
            return WireError.DestinationTooSmall;
        }

        MembJoin fixedPart = join;
        fixedPart.Header = TotemDatagram.ForSend(join.Header, MessageType.MembJoin);
        fixedPart.ProcListEntries = (uint)procList.Length;
        fixedPart.FailedListEntries = (uint)failedList.Length;
        MemoryMarshal.Write(destination, in fixedPart);
        Span<byte> lists = destination.Slice(MembJoin.Size);
        MemoryMarshal.AsBytes(procList).CopyTo(lists);
        MemoryMarshal.AsBytes(failedList).CopyTo(lists.Slice(procList.Length * sizeof(uint)));
        written = length;
        return WireError.None;
    }
}
