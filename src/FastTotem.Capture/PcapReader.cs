using System.Buffers.Binary;

namespace FastTotem.Capture;

/// <summary>
/// Classic libpcap files: a 24-byte file header, then records of a 16-byte header and the
/// captured bytes. Both byte orders, microsecond (0xA1B2C3D4) and nanosecond (0xA1B23C4D) magic.
/// </summary>
internal static class PcapReader
{
    private const int FileHeaderSize = 24;
    private const int RecordHeaderSize = 16;
    private const uint MagicMicroseconds = 0xA1B2C3D4;
    private const uint MagicNanoseconds = 0xA1B23C4D;

    /// <summary>Records larger than this are not plausible and mean the file is corrupt.</summary>
    private const uint RecordLengthMax = 256 * 1024 * 1024;

    public static bool IsPcap(ReadOnlySpan<byte> file)
    {
        if (file.Length < 4)
        {
            return false;
        }

        uint le = BinaryPrimitives.ReadUInt32LittleEndian(file);
        uint be = BinaryPrimitives.ReadUInt32BigEndian(file);
        return le is MagicMicroseconds or MagicNanoseconds || be is MagicMicroseconds or MagicNanoseconds;
    }

    /// <summary>Splits the file into frames; returns true when the last record was cut short.</summary>
    public static bool ReadFrames(ReadOnlyMemory<byte> file, List<CaptureFrame> frames, List<string> warnings)
    {
        ReadOnlySpan<byte> span = file.Span;
        if (span.Length < FileHeaderSize)
        {
            throw new CaptureFormatException(
                $"pcap file header is truncated ({span.Length} of {FileHeaderSize} bytes)");
        }

        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(span);
        bool bigEndian = magicLe is not (MagicMicroseconds or MagicNanoseconds);
        uint magic = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : magicLe;
        bool nanoseconds = magic == MagicNanoseconds;
        ushort versionMajor = Read16(span[4..], bigEndian);
        if (versionMajor != 2)
        {
            throw new CaptureFormatException($"pcap version {versionMajor} is not supported (only 2.x)");
        }

        // The upper bits of the link type field carry FCS information in newer files.
        int linkType = (int)(Read32(span[20..], bigEndian) & 0x0FFF_FFFF);
        int offset = FileHeaderSize;
        int number = 0;
        while (offset < span.Length)
        {
            number++;
            if (span.Length - offset < RecordHeaderSize)
            {
                warnings.Add($"frame {number}: truncated record header ({span.Length - offset} of {RecordHeaderSize} bytes); stopped there");
                return true;
            }

            ReadOnlySpan<byte> header = span.Slice(offset, RecordHeaderSize);
            uint seconds = Read32(header, bigEndian);
            uint fraction = Read32(header[4..], bigEndian);
            uint capturedLength = Read32(header[8..], bigEndian);
            uint originalLength = Read32(header[12..], bigEndian);
            if (capturedLength > RecordLengthMax)
            {
                throw new CaptureFormatException(
                    $"frame {number} at byte {offset}: record length {capturedLength} is not plausible; the file is corrupt");
            }

            offset += RecordHeaderSize;
            if (capturedLength > span.Length - offset)
            {
                warnings.Add($"frame {number}: truncated record ({span.Length - offset} of {capturedLength} bytes); stopped there");
                return true;
            }

            long timestampNs = (seconds * 1_000_000_000L) + (nanoseconds ? fraction : fraction * 1000L);
            frames.Add(new CaptureFrame(
                number, timestampNs, linkType, file.Slice(offset, (int)capturedLength), (int)Math.Min(originalLength, int.MaxValue)));
            offset += (int)capturedLength;
        }

        return false;
    }

    private static ushort Read16(ReadOnlySpan<byte> span, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);

    private static uint Read32(ReadOnlySpan<byte> span, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
}
