using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_quorum_reconfigure (votequorum.c), 32 bytes: nodeid@16, value@20, param@24, three pad
/// bytes, then tail padding to the header's 8-byte alignment (docs/wire-format.md §12).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct VotequorumReconfigureMessage
{
    public const int Size = 32;

    public const byte ParamExpectedVotes = 1;
    public const byte ParamNodeVotes = 2;
    public const byte ParamCancelWaitForAll = 3;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public uint NodeId;
    [FieldOffset(20)] public uint Value;
    [FieldOffset(24)] public byte Param;
    [FieldOffset(25)] public byte Pad25;
    [FieldOffset(26)] public byte Pad26;
    [FieldOffset(27)] public byte Pad27;
    [FieldOffset(28)] public uint Pad28;

    /// <summary>Decodes; swaps nodeid and value (exec_votequorum_reconfigure_endian_convert).</summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out VotequorumReconfigureMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<VotequorumReconfigureMessage>(source);
        if (foreignEndian)
        {
            message.NodeId = BinaryPrimitives.ReverseEndianness(message.NodeId);
            message.Value = BinaryPrimitives.ReverseEndianness(message.Value);
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
