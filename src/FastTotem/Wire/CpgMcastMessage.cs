using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_cpg_mcast (cpg.c), 184 bytes followed by msglen bytes of application data (docs/wire-format.md §11.2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CpgMcastMessage
{
    public const int Size = 184;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public MarCpgName GroupName;
    [FieldOffset(152)] public uint MsgLen;
    [FieldOffset(156)] public uint Pad156;
    [FieldOffset(160)] public uint Pid;
    [FieldOffset(164)] public uint Pad164;
    [FieldOffset(168)] public MarMessageSource Source;

    /// <summary>
    /// Decodes the header and returns the data. Swaps as exec_cpg_mcast_endian_convert does (header id and size,
    /// name length, pid, msglen; not source.nodeid). msglen is checked against the buffer before the data is sliced.
    /// </summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out CpgMcastMessage message, out ReadOnlySpan<byte> data)
    {
        data = default;
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<CpgMcastMessage>(source);
        if (foreignEndian)
        {
            message.Header.Swap();
            message.GroupName.Swap();
            message.Pid = BinaryPrimitives.ReverseEndianness(message.Pid);
            message.MsgLen = BinaryPrimitives.ReverseEndianness(message.MsgLen);
        }

        if (!message.GroupName.IsValid)
        {
            return WireError.CountTooLarge;
        }

        if (message.MsgLen > (uint)(source.Length - Size))
        {
            return WireError.CountBeyondPacket;
        }

        data = source.Slice(Size, (int)message.MsgLen);
        return WireError.None;
    }

    /// <summary>Writes the header and the data (header.size = 184 + data length, msglen = data length).</summary>
    public readonly WireError TryWrite(Span<byte> destination, ReadOnlySpan<byte> data, out int written)
    {
        written = 0;
        if (destination.Length < Size + data.Length)
        {
            return WireError.DestinationTooSmall;
        }

        if (MsgLen != (uint)data.Length)
        {
            return WireError.LengthMismatch;
        }

        MemoryMarshal.Write(destination, in this);
        data.CopyTo(destination.Slice(Size));
        written = Size + data.Length;
        return WireError.None;
    }
}
