using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// mar_message_source_t (cpg.c): the sending node and its local IPC connection pointer, 16 bytes.
/// corosync's converter computes a swapped nodeid and throws it away, so a foreign-endian nodeid stays as it arrived.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct MarMessageSource
{
    public const int Size = 16;

    [FieldOffset(0)] public uint NodeId;
    [FieldOffset(4)] public uint Pad4;

    /// <summary>A pointer on the sending node; meaningless elsewhere and never read.</summary>
    [FieldOffset(8)] public ulong Conn;
}
