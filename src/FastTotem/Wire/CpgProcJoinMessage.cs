using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_cpg_procjoin (cpg.c), used for procjoin (fn 0) and procleave (fn 1): 168 bytes (docs/wire-format.md §11.1).
/// The joining process's node is the totem sender, not a field.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CpgProcJoinMessage
{
    public const int Size = 168;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public MarCpgName GroupName;
    [FieldOffset(152)] public uint Pid;
    [FieldOffset(156)] public uint Pad156;

    /// <summary>1 JOIN, 2 LEAVE, 3 NODEDOWN, 4 NODEUP, 5 PROCDOWN.</summary>
    [FieldOffset(160)] public uint Reason;
    [FieldOffset(164)] public uint Pad164;

    /// <summary>Decodes; swaps pid, the name length and reason for a foreign-endian sender (exec_cpg_procjoin_endian_convert).</summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, bool foreignEndian, out CpgProcJoinMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<CpgProcJoinMessage>(source);
        if (foreignEndian)
        {
            message.Pid = BinaryPrimitives.ReverseEndianness(message.Pid);
            message.GroupName.Swap();
            message.Reason = BinaryPrimitives.ReverseEndianness(message.Reason);
        }

        return message.GroupName.IsValid ? WireError.None : WireError.CountTooLarge;
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
