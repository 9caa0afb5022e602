using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>One member's entry in the commit token (struct memb_commit_token_memb_entry, totemsrp.c).</summary>
internal struct CommitMembEntry
{
    public MembRingId RingId;
    public uint Aru;
    public uint HighDelivered;
    public uint ReceivedFlg;
}

/// <summary>
/// The engine's copy of a memb_commit_token (struct memb_commit_token, totemsrp.c) with its addr[] and memb_list[]
/// arrays, sized for PROCESSOR_COUNT_MAX members.
/// </summary>
internal sealed class CommitTokenBuffer
{
    public uint TokenSeq;
    public MembRingId RingId;
    public uint RetransFlg;
    public int MembIndex;
    public int AddrEntries;
    public readonly uint[] Addr = new uint[WireLimits.ProcessorCountMax];
    public readonly CommitMembEntry[] Entries = new CommitMembEntry[WireLimits.ProcessorCountMax];

    public ReadOnlySpan<uint> AddrSpan => Addr.AsSpan(0, AddrEntries);

    public int EncodedLength => SrpFrame.CommitHeaderSize + AddrEntries * (4 + SrpFrame.CommitMembEntrySize);

    public WireError TryDecode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < SrpFrame.CommitHeaderSize)
        {
            return WireError.Truncated;
        }

        bool swap = SrpFrame.IsForeignEndian(frame);
        uint entries = SrpFrame.ReadU32(frame, SrpFrame.CommitAddrEntriesOffset, swap);
        if (entries == 0 || entries > WireLimits.ProcessorCountMax)
        {
            return WireError.CountTooLarge;
        }

        int n = (int)entries;
        if (frame.Length < SrpFrame.CommitHeaderSize + n * (4 + SrpFrame.CommitMembEntrySize))
        {
            return WireError.CountBeyondPacket;
        }

        int membIndex = (int)SrpFrame.ReadU32(frame, SrpFrame.CommitMembIndexOffset, swap);
        if (membIndex < 0 || membIndex > n)
        {
            return WireError.BadField;
        }

        TokenSeq = SrpFrame.ReadU32(frame, SrpFrame.CommitTokenSeqOffset, swap);
        RingId = SrpFrame.ReadRingId(frame, SrpFrame.CommitRingIdOffset, swap);
        RetransFlg = SrpFrame.ReadU32(frame, SrpFrame.CommitRetransFlgOffset, swap);
        MembIndex = membIndex;
        AddrEntries = n;
        for (int i = 0; i < n; i++)
        {
            Addr[i] = SrpFrame.ReadU32(frame, SrpFrame.CommitHeaderSize + 4 * i, swap);
        }

        int entryBase = SrpFrame.CommitHeaderSize + 4 * n;
        for (int i = 0; i < n; i++)
        {
            int off = entryBase + i * SrpFrame.CommitMembEntrySize;
            ref CommitMembEntry e = ref Entries[i];
            e.RingId = SrpFrame.ReadRingId(frame, off, swap);
            e.Aru = SrpFrame.ReadU32(frame, off + 12, swap);
            e.HighDelivered = SrpFrame.ReadU32(frame, off + 16, swap);
            e.ReceivedFlg = SrpFrame.ReadU32(frame, off + 20, swap);
        }

        return WireError.None;
    }

    public int Encode(Span<byte> buffer, uint nodeId)
    {
        SrpFrame.WriteHeader(buffer, MessageType.MembCommitToken, 0, nodeId);
        SrpFrame.WriteU32(buffer, SrpFrame.CommitTokenSeqOffset, TokenSeq);
        SrpFrame.WriteRingId(buffer, SrpFrame.CommitRingIdOffset, RingId);
        SrpFrame.WriteU32(buffer, SrpFrame.CommitRetransFlgOffset, RetransFlg);
        SrpFrame.WriteU32(buffer, SrpFrame.CommitMembIndexOffset, (uint)MembIndex);
        SrpFrame.WriteU32(buffer, SrpFrame.CommitAddrEntriesOffset, (uint)AddrEntries);
        for (int i = 0; i < AddrEntries; i++)
        {
            SrpFrame.WriteU32(buffer, SrpFrame.CommitHeaderSize + 4 * i, Addr[i]);
        }

        int entryBase = SrpFrame.CommitHeaderSize + 4 * AddrEntries;
        for (int i = 0; i < AddrEntries; i++)
        {
            int off = entryBase + i * SrpFrame.CommitMembEntrySize;
            ref CommitMembEntry e = ref Entries[i];
            SrpFrame.WriteRingId(buffer, off, e.RingId);
            SrpFrame.WriteU32(buffer, off + 12, e.Aru);
            SrpFrame.WriteU32(buffer, off + 16, e.HighDelivered);
            SrpFrame.WriteU32(buffer, off + 20, e.ReceivedFlg);
        }

        return EncodedLength;
    }

    public void CopyFrom(CommitTokenBuffer other)
    {
        TokenSeq = other.TokenSeq;
        RingId = other.RingId;
        RetransFlg = other.RetransFlg;
        MembIndex = other.MembIndex;
        AddrEntries = other.AddrEntries;
        other.Addr.AsSpan(0, AddrEntries).CopyTo(Addr);
        other.Entries.AsSpan(0, AddrEntries).CopyTo(Entries);
    }
}
