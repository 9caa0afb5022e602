using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_quorum_qdevice_reg (votequorum.c), 280 bytes: operation@16 (0 unregister, 1 register),
/// name[255]@20, then tail padding (docs/wire-format.md §12). Source-only: never seen on the wire.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct VotequorumQdeviceRegMessage
{
    public const int Size = 280;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public uint Operation;
    [FieldOffset(20)] public QdeviceName Name;
    [FieldOffset(275)] public byte Pad275;
    [FieldOffset(276)] public uint Pad276;

    /// <summary>Decodes; swaps operation only (exec_votequorum_qdevice_reg_endian_convert).</summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out VotequorumQdeviceRegMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<VotequorumQdeviceRegMessage>(source);
        if (foreignEndian)
        {
            message.Operation = BinaryPrimitives.ReverseEndianness(message.Operation);
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
}
