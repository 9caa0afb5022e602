using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// "Please release the held token", type 5 (struct token_hold_cancel, totemsrp.c). 25 bytes, packed.
/// corosync never byte-swaps its ring id, so one from a node of the other byte order never matches
/// a ring and is ignored; the codec keeps the ring id exactly as it arrived.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct TokenHoldCancel
{
    public const int Size = 25;

    public TotemHeader Header;
    public MembRingId RingId;
}
