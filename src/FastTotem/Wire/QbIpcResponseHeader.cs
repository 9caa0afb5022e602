using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// libqb's struct qb_ipc_response_header (qbipc_common.h): id@0, size@8, error@16, each 8-aligned, 24 bytes.
/// CPG's joinlist uses it instead of the request header (docs/wire-format.md §11.5).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct QbIpcResponseHeader
{
    public const int Size = 24;

    [FieldOffset(0)] public int Id;
    [FieldOffset(4)] public uint Pad4;
    [FieldOffset(8)] public int MessageSize;
    [FieldOffset(12)] public uint Pad12;
    [FieldOffset(16)] public int Error;
    [FieldOffset(20)] public uint Pad20;
}
