using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_cpg_partial_mcast (cpg.c), 200 bytes followed by fraglen bytes (docs/wire-format.md §11.3).
/// corosync leaves stack bytes in its padding; the pad fields keep them so a decoded message re-encodes
/// byte for byte. Receivers never read them; a message we build starts zeroed.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CpgPartialMcastMessage
{
    public const int Size = 200;

    /// <summary>type values (LIBCPG_PARTIAL_*).</summary>
    public const uint TypeFirst = 1;
    public const uint TypeContinued = 2;
    public const uint TypeLast = 3;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public MarCpgName GroupName;

    /// <summary>Total length of the whole application message.</summary>
    [FieldOffset(152)] public uint MsgLen;
    [FieldOffset(156)] public uint Pad156;

    /// <summary>Length of this piece.</summary>
    [FieldOffset(160)] public uint FragLen;
    [FieldOffset(164)] public uint Pad164;
    [FieldOffset(168)] public uint Pid;
    [FieldOffset(172)] public uint Pad172;
    [FieldOffset(176)] public uint Type;
    [FieldOffset(180)] public uint Pad180;
    [FieldOffset(184)] public MarMessageSource Source;

    /// <summary>Decodes and returns the piece; swaps as exec_cpg_partial_mcast_endian_convert does.</summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out CpgPartialMcastMessage message, out ReadOnlySpan<byte> piece)
    {
        piece = default;
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<CpgPartialMcastMessage>(source);
        if (foreignEndian)
        {
            message.Header.Swap();
            message.GroupName.Swap();
            message.Pid = BinaryPrimitives.ReverseEndianness(message.Pid);
            message.MsgLen = BinaryPrimitives.ReverseEndianness(message.MsgLen);
            message.FragLen = BinaryPrimitives.ReverseEndianness(message.FragLen);
            message.Type = BinaryPrimitives.ReverseEndianness(message.Type);
        }

        if (!message.GroupName.IsValid)
        {
            return WireError.CountTooLarge;
        }

        if (message.FragLen > (uint)(source.Length - Size))
        {
            return WireError.CountBeyondPacket;
        }

        piece = source.Slice(Size, (int)message.FragLen);
        return WireError.None;
    }

    public readonly WireError TryWrite(Span<byte> destination, ReadOnlySpan<byte> piece, out int written)
    {
        written = 0;
        if (destination.Length < Size + piece.Length)
        {
            return WireError.DestinationTooSmall;
        }

        if (FragLen != (uint)piece.Length)
        {
            return WireError.LengthMismatch;
        }

        MemoryMarshal.Write(destination, in this);
        piece.CopyTo(destination.Slice(Size));
        written = Size + piece.Length;
        return WireError.None;
    }
}
