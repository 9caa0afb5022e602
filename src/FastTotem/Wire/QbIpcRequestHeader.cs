using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// libqb's struct qb_ipc_request_header (qbipc_common.h) as corosync sends it in front of every service
/// message (docs/wire-format.md §9.1). Both members are 8-byte aligned, so it is 16 bytes with two holes. The holes are
/// kept as fields so that a decoded message re-encodes byte for byte, junk included.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct QbIpcRequestHeader
{
    public const int Size = 16;

    /// <summary><c>service &lt;&lt; 16 | function</c>.</summary>
    [FieldOffset(0)] public int Id;
    [FieldOffset(4)] public uint Pad4;

    /// <summary>Whole service message length, header included.</summary>
    [FieldOffset(8)] public int MessageSize;
    [FieldOffset(12)] public uint Pad12;

    public QbIpcRequestHeader(int id, int size)
    {
        Id = id;
        Pad4 = 0;
        MessageSize = size;
        Pad12 = 0;
    }

    /// <summary>The service number, <c>id &gt;&gt; 16</c>.</summary>
    public readonly int ServiceId => (int)((uint)Id >> 16);

    /// <summary>The exec function number, <c>id &amp; 0xFFFF</c>.</summary>
    public readonly int FunctionId => Id & 0xFFFF;

    public static int MakeId(int service, int function) => (service << 16) | (function & 0xFFFF);

    /// <summary>
    /// Reads the id as the dispatcher does (swapped in a local copy for a foreign-endian sender).
    /// </summary>
    public static WireError TryReadId(ReadOnlySpan<byte> message, bool foreignEndian, out int id)
    {
        if (message.Length < Size)
        {
            id = 0;
            return WireError.Truncated;
        }

        id = BinaryPrimitives.ReadInt32LittleEndian(message);
        if (foreignEndian)
        {
            id = BinaryPrimitives.ReverseEndianness(id);
        }

        return WireError.None;
    }

    /// <summary>swab_coroipc_request_header_t: id and size.</summary>
    internal void Swap()
    {
        Id = BinaryPrimitives.ReverseEndianness(Id);
        MessageSize = BinaryPrimitives.ReverseEndianness(MessageSize);
    }
}
