using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>struct req_exec_quorum_nodeinfo (votequorum.c), 32 bytes (docs/wire-format.md §12). nodeid 0 is the quorum-device slot.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct VotequorumNodeInfoMessage
{
    public const int Size = 32;

    public const uint FlagQuorate = 1;
    public const uint FlagLeaving = 2;
    public const uint FlagWaitForAll = 4;
    public const uint FlagFirst = 8;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public uint NodeId;
    [FieldOffset(20)] public uint Votes;
    [FieldOffset(24)] public uint ExpectedVotes;
    [FieldOffset(28)] public uint Flags;

    public static VotequorumNodeInfoMessage Create(uint nodeId, uint votes, uint expectedVotes, uint flags)
    {
        VotequorumNodeInfoMessage message = default;
        message.Header = new QbIpcRequestHeader(
            QbIpcRequestHeader.MakeId(VotequorumExecFunction.ServiceId, VotequorumExecFunction.NodeInfo), Size);
        message.NodeId = nodeId;
        message.Votes = votes;
        message.ExpectedVotes = expectedVotes;
        message.Flags = flags;
        return message;
    }

    /// <summary>Decodes; swaps nodeid, votes, expected_votes and flags (exec_votequorum_nodeinfo_endian_convert).</summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out VotequorumNodeInfoMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<VotequorumNodeInfoMessage>(source);
        if (foreignEndian)
        {
            message.NodeId = BinaryPrimitives.ReverseEndianness(message.NodeId);
            message.Votes = BinaryPrimitives.ReverseEndianness(message.Votes);
            message.ExpectedVotes = BinaryPrimitives.ReverseEndianness(message.ExpectedVotes);
            message.Flags = BinaryPrimitives.ReverseEndianness(message.Flags);
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
