using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Decodes and encodes the ordering token (struct orf_token + rtr_item[], totemsrp.c).
/// </summary>
/// <remarks>
/// Receive checks follow check_orf_token_sanity with Debian's CVE-2025-30472 fix: at least 57 bytes,
/// at most 1500 bytes, at most 30 rtr entries, and room for all of them. Bytes after the last entry
/// are accepted and ignored, as corosync does.
/// </remarks>
internal static class OrfTokenCodec
{
    /// <summary>Wire size of a token carrying <paramref name="rtrCount"/> retransmit requests.</summary>
    public static int GetEncodedLength(int rtrCount) => OrfToken.Size + rtrCount * RtrItem.Size;

    /// <summary>
    /// Validates and decodes a received token. The rtr list is always copied (and swapped when the
    /// sender had the other byte order) into <paramref name="rtrList"/>, so the receive buffer can be
    /// reused at once; its first <see cref="OrfToken.RtrListEntries"/> items are valid.
    /// </summary>
    /// <param name="datagram">The whole UDP payload.</param>
    /// <param name="token">The fixed part, in host order (mirrors orf_token_endian_convert).</param>
    /// <param name="rtrList">Scratch of <see cref="WireLimits.RetransmitEntriesMax"/> items suffices;
    /// a shorter one gives <see cref="WireError.DestinationTooSmall"/> when the list does not fit.</param>
    public static WireError TryDecode(ReadOnlySpan<byte> datagram, out OrfToken token, Span<RtrItem> rtrList)
    {
        token = default;
        WireError error = TotemDatagram.TryParseAs(datagram, MessageType.OrfToken, out TotemHeader header, out bool foreignEndian);
        if (error != WireError.None)
        {
            return error;
        }

        if (datagram.Length < OrfToken.Size)
        {
            return WireError.Truncated;
        }

        if (datagram.Length > WireLimits.OrfTokenLengthMax)
        {
            return WireError.TooLong;
        }

        token = MemoryMarshal.Read<OrfToken>(datagram);
        if (foreignEndian)
        {
            token = SwapFixedPart(token);
        }

        token.Header = header;
        int count = token.RtrListEntries;
        if ((uint)count > WireLimits.RetransmitEntriesMax)
        {
            return WireError.CountTooLarge;
        }

        if (datagram.Length < GetEncodedLength(count))
        {
            return WireError.CountBeyondPacket;
        }

        if (rtrList.Length < count)
        {
            return WireError.DestinationTooSmall;
        }

        ReadOnlySpan<RtrItem> wireItems =
            MemoryMarshal.Cast<byte, RtrItem>(datagram.Slice(OrfToken.Size, count * RtrItem.Size));
        if (foreignEndian)
        {
            for (int i = 0; i < wireItems.Length; i++)
            {
                rtrList[i] = wireItems[i].ReverseEndianness();
            }
        }
        else
        {
            wireItems.CopyTo(rtrList);
        }

        return WireError.None;
    }

    /// <summary>
    /// Writes a token, little-endian. Magic, version and type are forced; the other header fields are
    /// written as given (send target_nodeid 0). <see cref="OrfToken.RtrListEntries"/> is ignored: the
    /// count written is <paramref name="rtrList"/>'s length, which must be at most 30.
    /// </summary>
    public static WireError TryEncode(
        in OrfToken token, ReadOnlySpan<RtrItem> rtrList, Span<byte> destination, out int written)
    {
        TotemDatagram.EnsureLittleEndianHost();
        if (rtrList.Length > WireLimits.RetransmitEntriesMax)
        {
            Invariant.ThrowArgument(nameof(rtrList), "An orf_token carries at most 30 rtr items.");
        }

        int length = GetEncodedLength(rtrList.Length);
        if (destination.Length < length)
        {
            written = 0;
            return WireError.DestinationTooSmall;
        }

        OrfToken fixedPart = token;
        fixedPart.Header = TotemDatagram.ForSend(token.Header, MessageType.OrfToken);
        fixedPart.RtrListEntries = rtrList.Length;
        MemoryMarshal.Write(destination, in fixedPart);
        MemoryMarshal.AsBytes(rtrList).CopyTo(destination.Slice(OrfToken.Size));
        written = length;
        return WireError.None;
    }

    /// <summary>The fixed-part swaps of orf_token_endian_convert (the header is handled by the caller).</summary>
    private static OrfToken SwapFixedPart(OrfToken raw)
    {
        OrfToken token = raw;
        token.Seq = BinaryPrimitives.ReverseEndianness(raw.Seq);
        token.TokenSeq = BinaryPrimitives.ReverseEndianness(raw.TokenSeq);
        token.Aru = BinaryPrimitives.ReverseEndianness(raw.Aru);
        token.AruAddr = BinaryPrimitives.ReverseEndianness(raw.AruAddr);
        token.RingId = raw.RingId.ReverseEndianness();
        token.Backlog = BinaryPrimitives.ReverseEndianness(raw.Backlog);
        token.Fcc = BinaryPrimitives.ReverseEndianness(raw.Fcc);
        token.RetransFlg = BinaryPrimitives.ReverseEndianness(raw.RetransFlg);
        token.RtrListEntries = BinaryPrimitives.ReverseEndianness(raw.RtrListEntries);
        return token;
    }
}
