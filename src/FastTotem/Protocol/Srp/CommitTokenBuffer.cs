using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// The engine's copy of a memb_commit_token (struct memb_commit_token, totemsrp.c) with its addr[] and memb_list[]
/// arrays sized for PROCESSOR_COUNT_MAX members; decoded and encoded by <see cref="MembCommitTokenCodec"/>.
/// </summary>
internal sealed class CommitTokenBuffer
{
    public MembCommitToken Fixed;
    public readonly uint[] Addr = new uint[WireLimits.ProcessorCountMax];
    public readonly MembCommitTokenMembEntry[] Entries = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];

    public uint TokenSeq { get => Fixed.TokenSeq; set => Fixed.TokenSeq = value; }

    public MembRingId RingId { get => Fixed.RingId; set => Fixed.RingId = value; }

    public uint RetransFlg { get => Fixed.RetransFlg; set => Fixed.RetransFlg = value; }

    public int MembIndex { get => Fixed.MembIndex; set => Fixed.MembIndex = value; }

    public int AddrEntries { get => Fixed.AddrEntries; set => Fixed.AddrEntries = value; }

    public ReadOnlySpan<uint> AddrSpan => Addr.AsSpan(0, AddrEntries);

    /// <summary>Decodes a received commit token; one without members is refused (nobody could forward it).</summary>
    public WireError TryDecode(ReadOnlySpan<byte> datagram)
    {
        WireError error = MembCommitTokenCodec.TryDecode(datagram, out Fixed, Addr, Entries);
        if (error == WireError.None && Fixed.AddrEntries == 0)
        {
            return WireError.BadField;
        }

        return error;
    }

    public int Encode(Span<byte> buffer, uint nodeId)
    {
        Fixed.Header = new TotemHeader(MessageType.MembCommitToken, nodeId);
        Invariant.Encoded(MembCommitTokenCodec.TryEncode(Fixed, AddrSpan, Entries.AsSpan(0, AddrEntries), buffer, out int written),
            "a commit token fits its buffer");
        return written;
    }

    public void CopyFrom(CommitTokenBuffer other)
    {
        Fixed = other.Fixed;
        other.Addr.AsSpan(0, AddrEntries).CopyTo(Addr);
        other.Entries.AsSpan(0, AddrEntries).CopyTo(Entries);
    }
}
