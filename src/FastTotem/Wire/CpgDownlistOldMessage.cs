using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_cpg_downlist_old (cpg.c), 1560 bytes: left_nodes@16, nodeids@24. corosync 3.x never sends it,
/// accepts it and ignores it, and converts nothing; we only decode it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CpgDownlistOldMessage
{
    public const int Size = 1560;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public uint LeftNodes;
    [FieldOffset(20)] public uint Pad20;
    [FieldOffset(24)] public CpgNodeIdList NodeIds;

    public static WireError TryRead(ReadOnlySpan<byte> source, out CpgDownlistOldMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<CpgDownlistOldMessage>(source);
        return message.LeftNodes > WireLimits.ProcessorCountMax ? WireError.CountTooLarge : WireError.None;
    }
}
