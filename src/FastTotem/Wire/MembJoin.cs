using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The fixed 33-byte part of a join, type 3 (struct memb_join, totemsrp.c), packed. The proc list
/// (<see cref="ProcListEntries"/> nodeids) and then the failed list (<see cref="FailedListEntries"/>
/// nodeids) follow it; <see cref="MembJoinCodec"/> moves them through separate spans.
/// A LEAVE is a join whose header nodeid is 0 and whose last failed entry is the leaving node.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct MembJoin
{
    public const int Size = 33;

    public TotemHeader Header;

    /// <summary>The sender's nodeid, correct in a LEAVE too.</summary>
    public uint SystemFrom;

    public uint ProcListEntries;
    public uint FailedListEntries;

    /// <summary>Seq of the sender's current ring id.</summary>
    public ulong RingSeq;

    /// <summary>A LEAVE announces a clean shutdown by sending header nodeid 0.</summary>
    public readonly bool IsLeave => Header.NodeId == 0;
}
