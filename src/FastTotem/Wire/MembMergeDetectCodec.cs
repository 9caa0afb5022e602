using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// Decodes and encodes memb_merge_detect (totemsrp.c). Receive check: check_memb_merge_detect_sanity
/// (at least 29 bytes; extra bytes ignored).
/// </summary>
internal static class MembMergeDetectCodec
{
    /// <summary>Validates and decodes; the result is in host order (memb_merge_detect_endian_convert).</summary>
    public static WireError TryDecode(ReadOnlySpan<byte> datagram, out MembMergeDetect message)
    {
        message = default;
        WireError error = TotemDatagram.TryParseAs(
            datagram, MessageType.MembMergeDetect, out TotemHeader header, out bool foreignEndian);
        if (error != WireError.None)
        {
            return error;
        }

        if (datagram.Length < MembMergeDetect.Size)
        {
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<MembMergeDetect>(datagram);
        if (foreignEndian)
        {
            message.SystemFrom = BinaryPrimitives.ReverseEndianness(message.SystemFrom);
            message.RingId = message.RingId.ReverseEndianness();
        }

        message.Header = header;
        return WireError.None;
    }

    /// <summary>Writes the 29 bytes, little-endian; magic, version and type forced.</summary>
    public static WireError TryEncode(in MembMergeDetect message, Span<byte> destination, out int written)
    {
        TotemDatagram.EnsureLittleEndianHost();
        if (destination.Length < MembMergeDetect.Size)
        {
            written = 0;
            return WireError.DestinationTooSmall;
        }

        MembMergeDetect copy = message;
        copy.Header = TotemDatagram.ForSend(message.Header, MessageType.MembMergeDetect);
        MemoryMarshal.Write(destination, in copy);
        written = MembMergeDetect.Size;
        return WireError.None;
    }
}
