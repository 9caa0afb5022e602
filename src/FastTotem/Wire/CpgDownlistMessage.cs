using System.Diagnostics.CodeAnalysis;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_cpg_downlist (cpg.c), always 1568 bytes (docs/wire-format.md §11.4). Entries after
/// <see cref="LeftNodes"/> are stale leftovers of the sender and are kept as they arrived.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CpgDownlistMessage
{
    public const int Size = 1568;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public uint OldMembers;
    [FieldOffset(20)] public uint Pad20;
    [FieldOffset(24)] public uint LeftNodes;
    [FieldOffset(28)] public uint Pad28;
    [FieldOffset(32)] public CpgNodeIdList NodeIds;

    public static CpgDownlistMessage Create(uint oldMembers, ReadOnlySpan<uint> leftNodes)
    {
        if (leftNodes.Length > WireLimits.ProcessorCountMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(leftNodes), "out of range");
        }

        CpgDownlistMessage message = default;
        message.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(CpgExecFunction.ServiceId, CpgExecFunction.Downlist), Size);
        message.OldMembers = oldMembers;
        message.LeftNodes = (uint)leftNodes.Length;
        leftNodes.CopyTo(message.NodeIds);
        return message;
    }

    /// <summary>The valid entries; only call after a successful decode.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<uint> Left => ((ReadOnlySpan<uint>)NodeIds).Slice(0, (int)LeftNodes);

    /// <summary>
    /// Decodes; swaps as exec_cpg_downlist_endian_convert does (left_nodes, old_members and the first left_nodes ids,
    /// not the header). left_nodes above 384 is rejected.
    /// </summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out CpgDownlistMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<CpgDownlistMessage>(source);
        if (foreignEndian)
        {
            message.LeftNodes = BinaryPrimitives.ReverseEndianness(message.LeftNodes);
            message.OldMembers = BinaryPrimitives.ReverseEndianness(message.OldMembers);
        }

        if (message.LeftNodes > WireLimits.ProcessorCountMax)
        {
            return WireError.CountTooLarge;
        }

        if (foreignEndian)
        {
            Span<uint> ids = message.NodeIds;
            BinaryPrimitives.ReverseEndianness(ids.Slice(0, (int)message.LeftNodes), ids.Slice(0, (int)message.LeftNodes));
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
