using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Decodes and encodes token_hold_cancel (totemsrp.c). Receive check: check_token_hold_cancel_sanity
/// (at least 25 bytes; extra bytes ignored).
/// </summary>
/// <remarks>
/// corosync converts nothing in this message. We still swap the common header's nodeid like every
/// other header (nobody reads it), but the ring id stays exactly as it arrived, so a foreign-endian
/// hold-cancel does not match the receiver's ring, as in corosync.
/// </remarks>
internal static class TokenHoldCancelCodec
{
    public static WireError TryDecode(ReadOnlySpan<byte> datagram, out TokenHoldCancel message)
    {
        message = default;
        WireError error = TotemDatagram.TryParseAs(
            datagram, MessageType.TokenHoldCancel, out TotemHeader header, out _);
        if (error != WireError.None)
        {
            return error;
        }

        if (datagram.Length < TokenHoldCancel.Size)
        {
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<TokenHoldCancel>(datagram);
        message.Header = header;
        return WireError.None;
    }

    /// <summary>Writes the 25 bytes, little-endian; magic, version and type forced.</summary>
    public static WireError TryEncode(in TokenHoldCancel message, Span<byte> destination, out int written)
    {
        TotemDatagram.EnsureLittleEndianHost();
        if (destination.Length < TokenHoldCancel.Size)
        {
            written = 0;
            return WireError.DestinationTooSmall;
        }

        TokenHoldCancel copy = message;
        copy.Header = TotemDatagram.ForSend(message.Header, MessageType.TokenHoldCancel);
        MemoryMarshal.Write(destination, in copy);
        written = TokenHoldCancel.Size;
        return WireError.None;
    }
}
