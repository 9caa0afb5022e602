using System.Buffers.Binary;

namespace FastTotem.Wire.Knet;

/// <summary>
/// Decodes and encodes cleartext knet packets (libknet 1.25 onwire.h; docs/knet.md). Crypto sits outside:
/// open a sealed datagram with <c>FastTotem.Protocol.Knet.Crypto.KnetCrypto</c> first, seal after encoding.
/// </summary>
/// <remarks>
/// Decoders never throw on bad input: they return a <see cref="WireError"/> for the caller to count.
/// Checks follow libknet's receiver: at least 7 bytes, version 1, a known type, and each type's fixed
/// length. Pad bytes are neither checked nor changed (decode then encode is byte-identical).
/// Encoders write into caller buffers and force the version byte and the type of the method.
/// Byte order: host id and seqs big-endian; PING timestamp and PMTUD size little-endian (the sender's
/// native order, and FastTotem runs little-endian only).
/// </remarks>
internal static class KnetCodec
{
    /// <summary>Reads and checks the 6-byte header of any knet packet.</summary>
    public static WireError TryReadHeader(ReadOnlySpan<byte> packet, out KnetHeader header)
    {
        header = default;
        if (packet.Length < KnetHeader.MinimumPacketLength)
        {
            return WireError.Truncated;
        }

        if (packet[0] != KnetHeader.CurrentVersion)
        {
            return WireError.BadVersion;
        }

        var type = (KnetPacketType)packet[1];
        if (type is not (KnetPacketType.Data or KnetPacketType.Ping or KnetPacketType.Pong
            or KnetPacketType.Pmtud or KnetPacketType.PmtudReply))
        {
            return WireError.UnknownType;
        }

        header.Version = packet[0];
        header.Type = type;
        header.HostId = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2, 2));
        header.Pad1 = packet[4];
        header.Pad2 = packet[5];
        return WireError.None;
    }

    /// <summary>
    /// Decodes a DATA packet: its 14-byte header and the user bytes after it (a Totem datagram or a fragment).
    /// Rejects a fragment count of 0 and a fragment number outside 1..count of a fragmented packet.
    /// </summary>
    public static WireError TryDecodeData(ReadOnlySpan<byte> packet, out KnetDataHeader header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        WireError error = TryReadHeader(packet, out KnetHeader common);
        if (error != WireError.None)
        {
            return error;
        }

        if (common.Type != KnetPacketType.Data)
        {
            return WireError.UnknownType;
        }

        if (packet.Length < KnetDataHeader.Size)
        {
            return WireError.Truncated;
        }

        header.Header = common;
        header.Seq = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(6, 2));
        header.Compress = packet[8];
        header.Pad = packet[9];
        header.Broadcast = packet[10];
        header.FragmentCount = packet[11];
        header.FragmentSeq = packet[12];
        header.Channel = (sbyte)packet[13];
        if (!IsValidFragment(header.FragmentCount, header.FragmentSeq))
        {
            header = default;
            return WireError.BadFragment;
        }

        payload = packet[KnetDataHeader.Size..];
        return WireError.None;
    }

    /// <summary>Decodes a PING or a PONG (26 bytes; longer input is accepted and the tail ignored, as libknet does).</summary>
    public static WireError TryDecodePing(ReadOnlySpan<byte> packet, out KnetPing ping)
    {
        ping = default;
        WireError error = TryReadHeader(packet, out KnetHeader common);
        if (error != WireError.None)
        {
            return error;
        }

        if (common.Type is not (KnetPacketType.Ping or KnetPacketType.Pong))
        {
            return WireError.UnknownType;
        }

        if (packet.Length < KnetPing.Size)
        {
            return WireError.Truncated;
        }

        ping.Header = common;
        ping.Link = packet[6];
        ping.TimeSeconds = BinaryPrimitives.ReadInt64LittleEndian(packet.Slice(7, 8));
        ping.TimeNanoseconds = BinaryPrimitives.ReadInt64LittleEndian(packet.Slice(15, 8));
        ping.Seq = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(23, 2));
        ping.Timed = packet[25];
        return WireError.None;
    }

    /// <summary>
    /// Decodes a PMTUD probe or PMTUD_REPLY: the fixed 9 bytes, and how many bytes follow them
    /// (a probe's padding; 0 for a reply).
    /// </summary>
    public static WireError TryDecodePmtud(ReadOnlySpan<byte> packet, out KnetPmtud pmtud, out int paddingLength)
    {
        pmtud = default;
        paddingLength = 0;
        WireError error = TryReadHeader(packet, out KnetHeader common);
        if (error != WireError.None)
        {
            return error;
        }

        if (common.Type is not (KnetPacketType.Pmtud or KnetPacketType.PmtudReply))
        {
            return WireError.UnknownType;
        }

        if (packet.Length < KnetPmtud.HeaderSize)
        {
            return WireError.Truncated;
        }

        pmtud.Header = common;
        pmtud.Link = packet[6];
        pmtud.Size = BinaryPrimitives.ReadUInt16LittleEndian(packet.Slice(7, 2));
        paddingLength = packet.Length - KnetPmtud.HeaderSize;
        return WireError.None;
    }

    /// <summary>Writes a 6-byte header (version forced to 1) at the start of <paramref name="destination"/>.</summary>
    public static WireError TryEncodeHeader(in KnetHeader header, Span<byte> destination)
    {
        if (destination.Length < KnetHeader.Size)
        {
            return WireError.DestinationTooSmall;
        }

        destination[0] = KnetHeader.CurrentVersion;
        destination[1] = (byte)header.Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2, 2), header.HostId);
        destination[4] = header.Pad1;
        destination[5] = header.Pad2;
        return WireError.None;
    }

    /// <summary>
    /// Writes only the 14-byte DATA header (type forced to DATA), for a sender that places the user bytes
    /// at offset <see cref="KnetDataHeader.Size"/> itself (e.g. fragment by fragment without a copy).
    /// </summary>
    public static WireError TryEncodeDataHeader(in KnetDataHeader header, Span<byte> destination)
    {
        if (destination.Length < KnetDataHeader.Size)
        {
            return WireError.DestinationTooSmall;
        }

        if (!IsValidFragment(header.FragmentCount, header.FragmentSeq))
        {
            return WireError.BadFragment;
        }

        KnetHeader common = header.Header;
        common.Type = KnetPacketType.Data;
        TryEncodeHeader(common, destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6, 2), header.Seq);
        destination[8] = header.Compress;
        destination[9] = header.Pad;
        destination[10] = header.Broadcast;
        destination[11] = header.FragmentCount;
        destination[12] = header.FragmentSeq;
        destination[13] = (byte)header.Channel;
        return WireError.None;
    }

    /// <summary>Writes a whole DATA packet: the 14-byte header, then <paramref name="payload"/>.</summary>
    public static WireError TryEncodeData(in KnetDataHeader header, ReadOnlySpan<byte> payload, Span<byte> destination, out int written)
    {
        written = 0;
        if (payload.Length > KnetDataHeader.PayloadMax)
        {
            return WireError.TooLong;
        }

        if (destination.Length < KnetDataHeader.Size + payload.Length)
        {
            return WireError.DestinationTooSmall;
        }

        WireError error = TryEncodeDataHeader(header, destination);
        if (error != WireError.None)
        {
            return error;
        }

        payload.CopyTo(destination[KnetDataHeader.Size..]);
        written = KnetDataHeader.Size + payload.Length;
        return WireError.None;
    }

    /// <summary>Writes a 26-byte PING or PONG (the type in <paramref name="ping"/> must be one of the two).</summary>
    public static WireError TryEncodePing(in KnetPing ping, Span<byte> destination, out int written)
    {
        written = 0;
        if (ping.Header.Type is not (KnetPacketType.Ping or KnetPacketType.Pong))
        {
            return WireError.BadField;
        }

        if (destination.Length < KnetPing.Size)
        {
            return WireError.DestinationTooSmall;
        }

        TryEncodeHeader(ping.Header, destination);
        destination[6] = ping.Link;
        BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(7, 8), ping.TimeSeconds);
        BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(15, 8), ping.TimeNanoseconds);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(23, 2), ping.Seq);
        destination[25] = ping.Timed;
        written = KnetPing.Size;
        return WireError.None;
    }

    /// <summary>
    /// Writes a PMTUD probe or PMTUD_REPLY of <paramref name="totalLength"/> cleartext bytes: the fixed 9 bytes
    /// and zero padding after them. A reply is 9 bytes; a probe is as long as the size it probes allows.
    /// </summary>
    public static WireError TryEncodePmtud(in KnetPmtud pmtud, int totalLength, Span<byte> destination, out int written)
    {
        written = 0;
        if (pmtud.Header.Type is not (KnetPacketType.Pmtud or KnetPacketType.PmtudReply) || totalLength < KnetPmtud.HeaderSize)
        {
            return WireError.BadField;
        }

        if (destination.Length < totalLength)
        {
            return WireError.DestinationTooSmall;
        }

        TryEncodeHeader(pmtud.Header, destination);
        destination[6] = pmtud.Link;
        BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(7, 2), pmtud.Size);
        destination[KnetPmtud.HeaderSize..totalLength].Clear();
        written = totalLength;
        return WireError.None;
    }

    /// <summary>
    /// Builds the PONG answering <paramref name="ping"/>: its first 26 bytes with type PONG and
    /// <paramref name="ownHostId"/>; link, timestamp, seq and timed are copied byte for byte.
    /// </summary>
    public static WireError TryWritePong(ReadOnlySpan<byte> ping, ushort ownHostId, Span<byte> destination, out int written) =>
        TryWriteEcho(ping, KnetPacketType.Ping, KnetPacketType.Pong, KnetPing.Size, ownHostId, destination, out written);

    /// <summary>
    /// Builds the 9-byte PMTUD_REPLY answering <paramref name="probe"/>: its first 9 bytes with type
    /// PMTUD_REPLY and <paramref name="ownHostId"/>; link and size bytes copied untouched, padding dropped.
    /// </summary>
    public static WireError TryWritePmtudReply(ReadOnlySpan<byte> probe, ushort ownHostId, Span<byte> destination, out int written) =>
        TryWriteEcho(probe, KnetPacketType.Pmtud, KnetPacketType.PmtudReply, KnetPmtud.HeaderSize, ownHostId, destination, out written);

    /// <summary>frag_num 0 never happens; a fragmented packet numbers its fragments 1..frag_num.</summary>
    private static bool IsValidFragment(byte fragmentCount, byte fragmentSeq) =>
        fragmentCount != 0 && (fragmentCount == 1 || (fragmentSeq != 0 && fragmentSeq <= fragmentCount));

    /// <summary>An answer that is the request's first <paramref name="length"/> bytes with another type and our host id.</summary>
    private static WireError TryWriteEcho(
        ReadOnlySpan<byte> request, KnetPacketType requestType, KnetPacketType answerType, int length, ushort ownHostId, Span<byte> destination, out int written)
    {
        written = 0;
        WireError error = TryReadHeader(request, out KnetHeader header);
        if (error != WireError.None)
        {
            return error;
        }

        if (header.Type != requestType)
        {
            return WireError.UnknownType;
        }

        if (request.Length < length)
        {
            return WireError.Truncated;
        }

        if (destination.Length < length)
        {
            return WireError.DestinationTooSmall;
        }

        request[..length].CopyTo(destination);
        destination[1] = (byte)answerType;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2, 2), ownHostId);
        written = length;
        return WireError.None;
    }
}
