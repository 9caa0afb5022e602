using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_cmap_mcast (cmap.c), the 48-byte head of the cmap exec message (service 0, fn 0): four
/// one-byte fields, each 8-aligned (docs/wire-format.md §13). Items follow; see <see cref="CmapMcastItemHeader"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CmapMcastHeader
{
    public const int Size = 48;

    public const byte ReasonSync = 0;
    public const byte ReasonNewConfigVersion = 1;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public byte Reason;
    [FieldOffset(17)] public byte Pad17;
    [FieldOffset(18)] public ushort Pad18;
    [FieldOffset(20)] public uint Pad20;
    [FieldOffset(24)] public byte NoItems;
    [FieldOffset(25)] public byte Pad25;
    [FieldOffset(26)] public ushort Pad26;
    [FieldOffset(28)] public uint Pad28;
    [FieldOffset(32)] public byte Reserved1;
    [FieldOffset(33)] public byte Pad33;
    [FieldOffset(34)] public ushort Pad34;
    [FieldOffset(36)] public uint Pad36;
    [FieldOffset(40)] public byte Reserved2;
    [FieldOffset(41)] public byte Pad41;
    [FieldOffset(42)] public ushort Pad42;
    [FieldOffset(44)] public uint Pad44;

    /// <summary>Decodes the head; header id and size are swapped for a foreign-endian sender.</summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out CmapMcastHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return WireError.Truncated;
        }

        header = MemoryMarshal.Read<CmapMcastHeader>(source);
        if (foreignEndian)
        {
            header.Header.Swap();
        }

        return WireError.None;
    }

    public readonly WireError TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return WireError.DestinationTooSmall;
        }

        MemoryMarshal.Write(destination, in this);
        return WireError.None;
    }

    /// <summary>
    /// Reads the item at <paramref name="offset"/> (initially <see cref="Size"/>) and advances it by the item's
    /// 8-aligned length. key length, value_len and the fixed-width value are swapped for a foreign-endian
    /// sender (exec_cmap_mcast_endian_convert); the swapped value is written to <paramref name="valueScratch"/>
    /// (8 bytes suffice) so the message itself stays untouched.
    /// </summary>
    public static WireError TryReadItem(
        ReadOnlySpan<byte> message,
        ref int offset,
        bool foreignEndian,
        Span<byte> valueScratch,
        out CmapMcastItemHeader item,
        out ReadOnlySpan<byte> value)
    {
        value = default;
        if ((uint)offset > (uint)message.Length || message.Length - offset < CmapMcastItemHeader.Size)
        {
            item = default;
            return WireError.Truncated;
        }

        item = MemoryMarshal.Read<CmapMcastItemHeader>(message.Slice(offset));
        if (foreignEndian)
        {
            item.KeyLength = BinaryPrimitives.ReverseEndianness(item.KeyLength);
            item.ValueLength = BinaryPrimitives.ReverseEndianness(item.ValueLength);
        }

        if (item.KeyLength >= CmapKeyName.Length)
        {
            return WireError.CountTooLarge;
        }

        ulong available = (ulong)(message.Length - offset - CmapMcastItemHeader.Size);
        if (item.ValueLength > available)
        {
            return WireError.CountBeyondPacket;
        }

        int itemLength = CmapMcastItemHeader.AlignedLength((int)item.ValueLength);
        if (itemLength > message.Length - offset)
        {
            return WireError.CountBeyondPacket;
        }

        value = message.Slice(offset + CmapMcastItemHeader.Size, (int)item.ValueLength);
        if (foreignEndian)
        {
            int width = CmapMcastItemHeader.SwapWidth(item.ValueType);
            if (width > 0)
            {
                if (value.Length < width || valueScratch.Length < width)
                {
                    return WireError.BadField;
                }

                Span<byte> swapped = valueScratch.Slice(0, value.Length < valueScratch.Length ? value.Length : valueScratch.Length);
                value.Slice(0, swapped.Length).CopyTo(swapped);
                swapped.Slice(0, width).Reverse();
                value = swapped;
            }
        }

        offset += itemLength;
        return WireError.None;
    }
}
