using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Codec for a whole totempg packet: header, msg_len[] and entries (docs/wire-format.md §7.1), as read by
/// totempg_deliver_fn and written by mcast_msg / callback_token_received_fn in totempg.c.
/// </summary>
internal static class PgPacket
{
    /// <summary>The largest msg_count that can fit in a frame of <see cref="WireLimits.FrameSizeMax"/> bytes.</summary>
    public const int MsgCountMax = (WireLimits.FrameSizeMax - PgMcastHeader.Size) / sizeof(ushort);

    /// <summary>
    /// Validates a totempg packet. corosync's receiver drops a packet unless
    /// 8 + 2·msg_count + Σmsg_len equals the payload length exactly; so do we.
    /// msg_count and msg_len[] are swapped for a foreign-endian sender.
    /// </summary>
    public static WireError TryParse(ReadOnlySpan<byte> payload, bool foreignEndian, out PgPacketView view)
    {
        view = default;
        if (payload.Length < PgMcastHeader.Size)
        {
            return WireError.Truncated;
        }

        PgMcastHeader header = MemoryMarshal.Read<PgMcastHeader>(payload);
        if (foreignEndian)
        {
            header.MsgCount = BinaryPrimitives.ReverseEndianness(header.MsgCount);
        }

        int count = header.MsgCount;
        int dataOffset = PgMcastHeader.Size + (count * sizeof(ushort));
        if (dataOffset > payload.Length)
        {
            return WireError.CountBeyondPacket;
        }

        ReadOnlySpan<byte> lengths = payload.Slice(PgMcastHeader.Size, count * sizeof(ushort));
        long total = dataOffset;
        for (int i = 0; i < count; i++)
        {
            ushort raw = BinaryPrimitives.ReadUInt16LittleEndian(lengths.Slice(i * 2));
            total += foreignEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
        }

        if (total != payload.Length)
        {
            return WireError.LengthMismatch;
        }

        view = new PgPacketView(header, lengths, payload.Slice(dataOffset), foreignEndian);
        return WireError.None;
    }

    /// <summary>Size of a packet with <paramref name="count"/> entries holding <paramref name="dataLength"/> bytes.</summary>
    public static int EncodedLength(int count, int dataLength) =>
        PgMcastHeader.Size + (count * sizeof(ushort)) + dataLength;

    /// <summary>
    /// Writes a packet in our (little-endian) byte order. <paramref name="data"/> holds the entries back to back;
    /// their lengths must add up to its length.
    /// </summary>
    public static WireError TryWrite(
        Span<byte> destination,
        byte fragmented,
        byte continuation,
        ReadOnlySpan<ushort> lengths,
        ReadOnlySpan<byte> data,
        out int written)
    {
        written = 0;
        if (lengths.Length > ushort.MaxValue)
        {
            return WireError.CountTooLarge;
        }

        long sum = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            sum += lengths[i];
        }

        if (sum != data.Length)
        {
            return WireError.LengthMismatch;
        }

        int length = EncodedLength(lengths.Length, data.Length);
        if (destination.Length < length)
        {
            return WireError.DestinationTooSmall;
        }

        WriteHeader(destination, fragmented, continuation, lengths);
        data.CopyTo(destination.Slice(length - data.Length));
        written = length;
        return WireError.None;
    }

    /// <summary>Writes the 8-byte header and msg_len[]; the caller places the data after them.</summary>
    internal static void WriteHeader(Span<byte> destination, byte fragmented, byte continuation, ReadOnlySpan<ushort> lengths)
    {
        PgMcastHeader header = default;
        header.Fragmented = fragmented;
        header.Continuation = continuation;
        header.MsgCount = (ushort)lengths.Length;
        MemoryMarshal.Write(destination, in header);
        Span<byte> lens = destination.Slice(PgMcastHeader.Size, lengths.Length * sizeof(ushort));
        for (int i = 0; i < lengths.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(lens.Slice(i * 2), lengths[i]);
        }
    }
}

/// <summary>A validated totempg packet: the header (msg_count already in our byte order) and its entries.</summary>
internal readonly ref struct PgPacketView
{
    private readonly ReadOnlySpan<byte> _lengths;
    private readonly bool _foreignEndian;

    internal PgPacketView(PgMcastHeader header, ReadOnlySpan<byte> lengths, ReadOnlySpan<byte> data, bool foreignEndian)
    {
        Header = header;
        _lengths = lengths;
        Data = data;
        _foreignEndian = foreignEndian;
    }

    public PgMcastHeader Header { get; }

    public int Count => Header.MsgCount;

    public byte Fragmented => Header.Fragmented;

    public byte Continuation => Header.Continuation;

    /// <summary>All entries back to back.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>msg_len[index], in our byte order.</summary>
    public int LengthAt(int index)
    {
        ushort raw = BinaryPrimitives.ReadUInt16LittleEndian(_lengths.Slice(index * 2));
        return _foreignEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
    }
}
