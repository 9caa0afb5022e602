using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// The engine's working copy of an orf_token (struct orf_token, totemsrp.c): decoded from a received token with
/// receiver-makes-right swapping, modified while the node holds it, and encoded little-endian to forward it.
/// </summary>
internal sealed class OrfTokenBuffer
{
    public uint Seq;
    public uint TokenSeq;
    public uint Aru;
    public uint AruAddr;
    public MembRingId RingId;
    public uint Backlog;
    public uint Fcc;
    public int RetransFlg;
    public int RtrCount;
    public readonly MembRingId[] RtrRingId = new MembRingId[WireLimits.RetransmitEntriesMax];
    public readonly uint[] RtrSeq = new uint[WireLimits.RetransmitEntriesMax];

    public int EncodedLength => SrpFrame.TokenHeaderSize + RtrCount * SrpFrame.RtrItemSize;

    /// <summary>Validates and decodes a received token; the caller checked the 13-byte header.</summary>
    public WireError TryDecode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < SrpFrame.TokenHeaderSize)
        {
            return WireError.Truncated;
        }

        if (frame.Length > WireLimits.OrfTokenLengthMax)
        {
            return WireError.TooLong;
        }

        bool swap = SrpFrame.IsForeignEndian(frame);
        uint entries = SrpFrame.ReadU32(frame, SrpFrame.TokenRtrEntriesOffset, swap);
        if (entries > WireLimits.RetransmitEntriesMax)
        {
            return WireError.CountTooLarge;
        }

        if (frame.Length < SrpFrame.TokenHeaderSize + (int)entries * SrpFrame.RtrItemSize)
        {
            return WireError.CountBeyondPacket;
        }

        Seq = SrpFrame.ReadU32(frame, SrpFrame.TokenSeqOffset, swap);
        TokenSeq = SrpFrame.ReadU32(frame, SrpFrame.TokenTokenSeqOffset, swap);
        Aru = SrpFrame.ReadU32(frame, SrpFrame.TokenAruOffset, swap);
        AruAddr = SrpFrame.ReadU32(frame, SrpFrame.TokenAruAddrOffset, swap);
        RingId = SrpFrame.ReadRingId(frame, SrpFrame.TokenRingIdOffset, swap);
        Backlog = SrpFrame.ReadU32(frame, SrpFrame.TokenBacklogOffset, swap);
        Fcc = SrpFrame.ReadU32(frame, SrpFrame.TokenFccOffset, swap);
        RetransFlg = (int)SrpFrame.ReadU32(frame, SrpFrame.TokenRetransFlgOffset, swap);
        RtrCount = (int)entries;
        for (int i = 0; i < RtrCount; i++)
        {
            int off = SrpFrame.TokenHeaderSize + i * SrpFrame.RtrItemSize;
            RtrRingId[i] = SrpFrame.ReadRingId(frame, off, swap);
            RtrSeq[i] = SrpFrame.ReadU32(frame, off + 12, swap);
        }

        return WireError.None;
    }

    /// <summary>Encodes the token with header nodeid <paramref name="nodeId"/>; returns the length.</summary>
    public int Encode(Span<byte> buffer, uint nodeId)
    {
        SrpFrame.WriteHeader(buffer, MessageType.OrfToken, 0, nodeId);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenSeqOffset, Seq);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenTokenSeqOffset, TokenSeq);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenAruOffset, Aru);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenAruAddrOffset, AruAddr);
        SrpFrame.WriteRingId(buffer, SrpFrame.TokenRingIdOffset, RingId);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenBacklogOffset, Backlog);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenFccOffset, Fcc);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenRetransFlgOffset, (uint)RetransFlg);
        SrpFrame.WriteU32(buffer, SrpFrame.TokenRtrEntriesOffset, (uint)RtrCount);
        for (int i = 0; i < RtrCount; i++)
        {
            int off = SrpFrame.TokenHeaderSize + i * SrpFrame.RtrItemSize;
            SrpFrame.WriteRingId(buffer, off, RtrRingId[i]);
            SrpFrame.WriteU32(buffer, off + 12, RtrSeq[i]);
        }

        return EncodedLength;
    }

    /// <summary>Removes rtr entry <paramref name="index"/>, keeping the order of the rest.</summary>
    public void RemoveRtrAt(int index)
    {
        for (int i = index; i < RtrCount - 1; i++)
        {
            RtrRingId[i] = RtrRingId[i + 1];
            RtrSeq[i] = RtrSeq[i + 1];
        }

        RtrCount--;
    }
}
