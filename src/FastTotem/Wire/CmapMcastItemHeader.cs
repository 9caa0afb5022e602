using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The fixed 280-byte part of struct req_exec_cmap_mcast_item (cmap.c): key_name (mar_name_t: u16 length@0,
/// value[256]@8), value_type@264, value_len@272; the value follows at 280 and the item is padded to 8 bytes
/// (MAR_ALIGN_UP(280 + value_len, 8)).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CmapMcastItemHeader
{
    public const int Size = 280;

    /// <summary>ICMAP_VALUETYPE_NOT_EXIST: the key is not set on the sender.</summary>
    public const byte ValueTypeNotExist = 0;

    [FieldOffset(0)] public ushort KeyLength;
    [FieldOffset(2)] public ushort Pad2;
    [FieldOffset(4)] public uint Pad4;
    [FieldOffset(8)] public CmapKeyName KeyName;
    [FieldOffset(264)] public byte ValueType;
    [FieldOffset(265)] public byte Pad265;
    [FieldOffset(266)] public ushort Pad266;
    [FieldOffset(268)] public uint Pad268;
    [FieldOffset(272)] public ulong ValueLength;

    [UnscopedRef]

    public readonly ReadOnlySpan<byte> Key => ((ReadOnlySpan<byte>)KeyName).Slice(0, KeyLength);

    public static int AlignedLength(int valueLength) => (Size + valueLength + 7) & ~7;

    /// <summary>How many value bytes a foreign-endian receiver swaps for a value type (0 for none).</summary>
    public static int SwapWidth(byte valueType) => valueType switch
    {
        3 or 4 => 2,   // INT16, UINT16
        5 or 6 => 4,   // INT32, UINT32
        7 or 8 => 8,   // INT64, UINT64
        9 => 4,        // FLOAT
        10 => 8,       // DOUBLE
        _ => 0,
    };

    public static CmapMcastItemHeader Create(ReadOnlySpan<byte> key, byte valueType, int valueLength)
    {
        if (key.Length >= CmapKeyName.Length)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(key), "out of range");
        }

        CmapMcastItemHeader item = default;
        item.KeyLength = (ushort)key.Length;
        key.CopyTo(item.KeyName);
        item.ValueType = valueType;
        item.ValueLength = (ulong)valueLength;
        return item;
    }
}
