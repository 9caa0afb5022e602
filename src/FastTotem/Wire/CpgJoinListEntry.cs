using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>struct join_list_entry (cpg.c): pid and group name, 144 bytes (docs/wire-format.md §11.5).</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct CpgJoinListEntry
{
    public const int Size = 144;

    [FieldOffset(0)] public uint Pid;
    [FieldOffset(4)] public uint Pad4;
    [FieldOffset(8)] public MarCpgName GroupName;

    internal void Swap()
    {
        Pid = BinaryPrimitives.ReverseEndianness(Pid);
        GroupName.Swap();
    }
}
