using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// The engine's working copy of an orf_token (struct orf_token, totemsrp.c): decoded by <see cref="OrfTokenCodec"/>
/// (receiver makes right), modified while this node holds it, encoded little-endian to forward it.
/// </summary>
internal sealed class OrfTokenBuffer
{
    public OrfToken Fixed;
    public readonly RtrItem[] Rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
    public int RtrCount;

    public uint Seq { get => Fixed.Seq; set => Fixed.Seq = value; }

    public uint TokenSeq { get => Fixed.TokenSeq; set => Fixed.TokenSeq = value; }

    public uint Aru { get => Fixed.Aru; set => Fixed.Aru = value; }

    public uint AruAddr { get => Fixed.AruAddr; set => Fixed.AruAddr = value; }

    public MembRingId RingId { get => Fixed.RingId; set => Fixed.RingId = value; }

    public uint Backlog { get => Fixed.Backlog; set => Fixed.Backlog = value; }

    public uint Fcc { get => Fixed.Fcc; set => Fixed.Fcc = value; }

    public int RetransFlg { get => Fixed.RetransFlg; set => Fixed.RetransFlg = value; }

    public WireError TryDecode(ReadOnlySpan<byte> datagram)
    {
        WireError error = OrfTokenCodec.TryDecode(datagram, out Fixed, Rtr);
        RtrCount = error == WireError.None ? Fixed.RtrListEntries : 0;
        return error;
    }

    /// <summary>Encodes the token with header nodeid <paramref name="nodeId"/> and target 0; returns the length.</summary>
    public int Encode(Span<byte> buffer, uint nodeId)
    {
        Fixed.Header = new TotemHeader(MessageType.OrfToken, nodeId);
        Invariant.Encoded(OrfTokenCodec.TryEncode(Fixed, Rtr.AsSpan(0, RtrCount), buffer, out int written), "an orf_token fits its buffer");
        return written;
    }

    /// <summary>Removes rtr entry <paramref name="index"/>, keeping the order of the rest.</summary>
    public void RemoveRtrAt(int index)
    {
        Array.Copy(Rtr, index + 1, Rtr, index, RtrCount - index - 1);
        RtrCount--;
    }
}
