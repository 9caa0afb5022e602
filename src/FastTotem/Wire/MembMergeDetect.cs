using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The representative's periodic "here is my ring" message, type 2 (struct memb_merge_detect,
/// totemsrp.c). 29 bytes, packed. A node of another ring that hears it starts a merge.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct MembMergeDetect
{
    public const int Size = 29;

    public TotemHeader Header;
    public uint SystemFrom;
    public MembRingId RingId;
}
