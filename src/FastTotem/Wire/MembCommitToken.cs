using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The fixed 41-byte part of the commit token, type 4 (struct memb_commit_token, totemsrp.c), packed.
/// <see cref="AddrEntries"/> nodeids (sorted ascending, the token order) follow it, then as many
/// <see cref="MembCommitTokenMembEntry"/>s; <see cref="MembCommitTokenCodec"/> moves both lists
/// through separate spans.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct MembCommitToken
{
    public const int Size = 41;

    public TotemHeader Header;

    /// <summary>+1 on every send, starting at 1.</summary>
    public uint TokenSeq;

    /// <summary>The new ring.</summary>
    public MembRingId RingId;

    /// <summary>Always 0 on the wire.</summary>
    public uint RetransFlg;

    /// <summary>How many members have filled in their entry; 0..<see cref="AddrEntries"/>.</summary>
    public int MembIndex;

    /// <summary>Members of the new ring; 0–384 in any token the codec accepts.</summary>
    public int AddrEntries;
}
