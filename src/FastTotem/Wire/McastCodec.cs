using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Decodes and encodes the 45-byte mcast header (struct mcast, totemsrp.c) and locates its payload.
/// SRP never converts the payload: the caller passes <c>foreignEndian</c> up to totempg, which does.
/// </summary>
/// <remarks>
/// Receive checks: check_mcast_sanity (at least 45 bytes), the FRAME_SIZE_MAX bound corosync asserts,
/// and, stricter than corosync, encapsulated must be 1 or 2. An encapsulated (recovery) mcast must
/// carry a complete inner mcast that passes the same checks and is itself not encapsulated; decode
/// the inner one by calling <see cref="TryDecode"/> again on the returned payload.
/// </remarks>
internal static class McastCodec
{
    /// <summary>
    /// Validates and decodes a received mcast.
    /// </summary>
    /// <param name="datagram">The whole UDP payload.</param>
    /// <param name="header">The header in host order (mirrors mcast_endian_convert).</param>
    /// <param name="payload">The bytes after the header, a slice of <paramref name="datagram"/> as they
    /// arrived: a totempg packet, or for an encapsulated mcast the complete inner old-ring mcast.</param>
    /// <param name="foreignEndian">True when this (outer) header arrived byte-swapped. An inner mcast
    /// carries its own magic; its <see cref="TryDecode"/> reports its own byte order.</param>
    public static WireError TryDecode(
        ReadOnlySpan<byte> datagram, out McastHeader header, out ReadOnlySpan<byte> payload, out bool foreignEndian)
    {
        payload = default;
        WireError error = TryDecodeHeader(datagram, out header, out foreignEndian);
        if (error != WireError.None)
        {
            return error;
        }

        payload = datagram.Slice(McastHeader.Size);
        if (header.Header.EncapsulatedFlag == TotemHeader.Encapsulated)
        {
            error = TryDecodeHeader(payload, out McastHeader inner, out _);
            if (error != WireError.None)
            {
                payload = default;
                return error;
            }

            if (inner.Header.EncapsulatedFlag != TotemHeader.NotEncapsulated)
            {
                payload = default;
                return WireError.BadField;
            }
        }

        return WireError.None;
    }

    /// <summary>Wire size of an mcast with a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int GetEncodedLength(int payloadLength) => McastHeader.Size + payloadLength;

    /// <summary>
    /// Writes an mcast, header little-endian, payload copied as is. Magic, version and type are
    /// forced; encapsulated must be 1 or 2. <paramref name="payload"/> may already sit at
    /// <c>destination[45..]</c> (overlapping copies are safe). For an encapsulated mcast the payload is
    /// the stored old-ring mcast, byte for byte.
    /// </summary>
    public static WireError TryEncode(
        in McastHeader header, ReadOnlySpan<byte> payload, Span<byte> destination, out int written)
    {
        TotemDatagram.EnsureLittleEndianHost();
        byte encapsulated = header.Header.EncapsulatedFlag;
        if (encapsulated != TotemHeader.NotEncapsulated && encapsulated != TotemHeader.Encapsulated)
        {
            Invariant.ThrowArgument(nameof(header), "An mcast's encapsulated flag must be 1 or 2.");
        }

        int length = GetEncodedLength(payload.Length);
        if (length > WireLimits.FrameSizeMax)
        {
            Invariant.ThrowArgument(nameof(payload), "An mcast may not exceed FRAME_SIZE_MAX bytes.");
        }

        if (destination.Length < length)
        {
            written = 0;
            return WireError.DestinationTooSmall;
        }

        // Payload first: it may overlap the destination, and the header write must not clobber it.
        payload.CopyTo(destination.Slice(McastHeader.Size));
        McastHeader fixedPart = header;
        fixedPart.Header = TotemDatagram.ForSend(header.Header, MessageType.Mcast);
        MemoryMarshal.Write(destination, in fixedPart);
        written = length;
        return WireError.None;
    }

    /// <summary>Header checks and conversion shared by the outer and the inner message.</summary>
    private static WireError TryDecodeHeader(ReadOnlySpan<byte> datagram, out McastHeader header, out bool foreignEndian)
    {
        header = default;
        WireError error = TotemDatagram.TryParseAs(datagram, MessageType.Mcast, out TotemHeader common, out foreignEndian);
        if (error != WireError.None)
        {
            return error;
        }

        if (datagram.Length < McastHeader.Size)
        {
            return WireError.Truncated;
        }

        if (datagram.Length > WireLimits.FrameSizeMax)
        {
            return WireError.TooLong;
        }

        header = MemoryMarshal.Read<McastHeader>(datagram);
        if (foreignEndian)
        {
            header = SwapFixedPart(header);
        }

        header.Header = common;
        byte encapsulated = common.EncapsulatedFlag;
        if (encapsulated != TotemHeader.NotEncapsulated && encapsulated != TotemHeader.Encapsulated)
        {
            return WireError.BadField;
        }

        return WireError.None;
    }

    /// <summary>The swaps of mcast_endian_convert past the common header.</summary>
    private static McastHeader SwapFixedPart(McastHeader raw)
    {
        McastHeader header = raw;
        header.SystemFrom = BinaryPrimitives.ReverseEndianness(raw.SystemFrom);
        header.Seq = BinaryPrimitives.ReverseEndianness(raw.Seq);
        header.ThisSeqno = BinaryPrimitives.ReverseEndianness(raw.ThisSeqno);
        header.RingId = raw.RingId.ReverseEndianness();
        header.NodeId = BinaryPrimitives.ReverseEndianness(raw.NodeId);
        header.Guarantee = BinaryPrimitives.ReverseEndianness(raw.Guarantee);
        return header;
    }
}
