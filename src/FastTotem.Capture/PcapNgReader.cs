using System.Buffers.Binary;

namespace FastTotem.Capture;

/// <summary>
/// pcapng files: Section Header, Interface Description, Enhanced Packet, Simple Packet and the
/// obsolete Packet block. Each section has its own byte order and interface table; each interface
/// its own link type, timestamp resolution (if_tsresol) and offset (if_tsoffset). Other blocks are skipped.
/// </summary>
internal static class PcapNgReader
{
    private const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint InterfaceDescriptionType = 1;
    private const uint ObsoletePacketType = 2;
    private const uint SimplePacketType = 3;
    private const uint EnhancedPacketType = 6;
    private const ushort OptionEnd = 0;
    private const ushort OptionTsResolution = 9;
    private const ushort OptionTsOffset = 14;
    private const uint BlockLengthMax = 256 * 1024 * 1024;

    public static bool IsPcapNg(ReadOnlySpan<byte> file) =>
        file.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(file) == SectionHeaderType;

    private struct Interface
    {
        public int LinkType;
        public uint SnapLength;

        /// <summary>Timestamp units per second as 10^Exponent (or 2^Exponent when Binary).</summary>
        public int Exponent;
        public bool Binary;
        public long OffsetSeconds;
    }

    /// <summary>Splits the file into frames; returns true when the last block was cut short.</summary>
    public static bool ReadFrames(ReadOnlyMemory<byte> file, List<CaptureFrame> frames, List<string> warnings)
    {
        ReadOnlySpan<byte> span = file.Span;
        var interfaces = new List<Interface>();
        bool bigEndian = false;
        bool sectionSeen = false;
        int offset = 0;
        int number = 0;
        while (offset < span.Length)
        {
            if (span.Length - offset < 12)
            {
                warnings.Add($"block at byte {offset}: truncated ({span.Length - offset} bytes left); stopped there");
                return true;
            }

            uint type = BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);
            if (type == SectionHeaderType)
            {
                // The byte-order magic follows the block length, so read it before trusting the length.
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 8)..]);
                if (bom == ByteOrderMagic)
                {
                    bigEndian = false;
                }
                else if (BinaryPrimitives.ReverseEndianness(bom) == ByteOrderMagic)
                {
                    bigEndian = true;
                }
                else
                {
                    throw new CaptureFormatException($"pcapng section at byte {offset}: bad byte-order magic 0x{bom:X8}");
                }

                sectionSeen = true;
                interfaces.Clear();
            }
            else if (!sectionSeen)
            {
                throw new CaptureFormatException("pcapng file does not start with a section header block");
            }
            else
            {
                type = Read32(span[offset..], bigEndian);
            }

            uint blockLength = Read32(span[(offset + 4)..], bigEndian);
            if (blockLength < 12 || blockLength % 4 != 0 || blockLength > BlockLengthMax)
            {
                throw new CaptureFormatException(
                    $"pcapng block at byte {offset}: block length {blockLength} is invalid; the file is corrupt");
            }

            if (blockLength > span.Length - offset)
            {
                bool isPacket = type is EnhancedPacketType or SimplePacketType or ObsoletePacketType;
                warnings.Add(isPacket
                    ? $"frame {number + 1}: truncated packet block ({span.Length - offset} of {blockLength} bytes); stopped there"
                    : $"block at byte {offset}: truncated ({span.Length - offset} of {blockLength} bytes); stopped there");
                return true;
            }

            uint trailer = Read32(span[(offset + (int)blockLength - 4)..], bigEndian);
            if (trailer != blockLength)
            {
                throw new CaptureFormatException(
                    $"pcapng block at byte {offset}: trailing length {trailer} differs from leading length {blockLength}; the file is corrupt");
            }

            ReadOnlySpan<byte> body = span.Slice(offset + 8, (int)blockLength - 12);
            int bodyOffset = offset + 8;
            switch (type)
            {
                case InterfaceDescriptionType:
                    interfaces.Add(ReadInterface(body, bigEndian, offset));
                    break;
                case EnhancedPacketType:
                {
                    number++;
                    if (body.Length < 20)
                    {
                        throw new CaptureFormatException($"frame {number}: enhanced packet block too short");
                    }

                    int interfaceId = (int)Read32(body, bigEndian);
                    Interface iface = GetInterface(interfaces, interfaceId, number);
                    ulong ts = ((ulong)Read32(body[4..], bigEndian) << 32) | Read32(body[8..], bigEndian);
                    uint capturedLength = Read32(body[12..], bigEndian);
                    uint originalLength = Read32(body[16..], bigEndian);
                    if (capturedLength > body.Length - 20)
                    {
                        throw new CaptureFormatException(
                            $"frame {number}: captured length {capturedLength} exceeds its block; the file is corrupt");
                    }

                    frames.Add(new CaptureFrame(
                        number, ToNanoseconds(ts, iface), iface.LinkType, file.Slice(bodyOffset + 20, (int)capturedLength),
                        (int)Math.Min(originalLength, int.MaxValue)));
                    break;
                }

                case ObsoletePacketType:
                {
                    number++;
                    if (body.Length < 20)
                    {
                        throw new CaptureFormatException($"frame {number}: packet block too short");
                    }

                    int interfaceId = Read16(body, bigEndian);
                    Interface iface = GetInterface(interfaces, interfaceId, number);
                    ulong ts = ((ulong)Read32(body[4..], bigEndian) << 32) | Read32(body[8..], bigEndian);
                    uint capturedLength = Read32(body[12..], bigEndian);
                    uint originalLength = Read32(body[16..], bigEndian);
                    if (capturedLength > body.Length - 20)
                    {
                        throw new CaptureFormatException(
                            $"frame {number}: captured length {capturedLength} exceeds its block; the file is corrupt");
                    }

                    frames.Add(new CaptureFrame(
                        number, ToNanoseconds(ts, iface), iface.LinkType, file.Slice(bodyOffset + 20, (int)capturedLength),
                        (int)Math.Min(originalLength, int.MaxValue)));
                    break;
                }

                case SimplePacketType:
                {
                    number++;
                    if (body.Length < 4)
                    {
                        throw new CaptureFormatException($"frame {number}: simple packet block too short");
                    }

                    // A simple packet belongs to interface 0 and has no timestamp; its captured length
                    // is the smaller of the original length, the snap length and the room in the block.
                    Interface iface = GetInterface(interfaces, 0, number);
                    uint originalLength = Read32(body, bigEndian);
                    long capturedLength = Math.Min(originalLength, body.Length - 4);
                    if (iface.SnapLength != 0)
                    {
                        capturedLength = Math.Min(capturedLength, iface.SnapLength);
                    }

                    frames.Add(new CaptureFrame(
                        number, 0, iface.LinkType, file.Slice(bodyOffset + 4, (int)capturedLength),
                        (int)Math.Min(originalLength, int.MaxValue)));
                    break;
                }

                default:
                    break;
            }

            offset += (int)blockLength;
        }

        return false;
    }

    private static Interface GetInterface(List<Interface> interfaces, int id, int number)
    {
        if ((uint)id >= (uint)interfaces.Count)
        {
            throw new CaptureFormatException(
                $"frame {number}: refers to interface {id}, but the section describes {interfaces.Count}");
        }

        return interfaces[id];
    }

    private static Interface ReadInterface(ReadOnlySpan<byte> body, bool bigEndian, int blockOffset)
    {
        if (body.Length < 8)
        {
            throw new CaptureFormatException($"pcapng interface block at byte {blockOffset} is too short");
        }

        var iface = new Interface
        {
            LinkType = Read16(body, bigEndian),
            SnapLength = Read32(body[4..], bigEndian),
            Exponent = 6,
        };
        ReadOnlySpan<byte> options = body[8..];
        while (options.Length >= 4)
        {
            ushort code = Read16(options, bigEndian);
            ushort length = Read16(options[2..], bigEndian);
            if (code == OptionEnd)
            {
                break;
            }

            int padded = (length + 3) & ~3;
            if (padded > options.Length - 4)
            {
                throw new CaptureFormatException($"pcapng interface block at byte {blockOffset}: option {code} overruns the block");
            }

            ReadOnlySpan<byte> value = options.Slice(4, length);
            if (code == OptionTsResolution && length >= 1)
            {
                iface.Binary = (value[0] & 0x80) != 0;
                iface.Exponent = value[0] & 0x7F;
                if (iface.Binary ? iface.Exponent > 62 : iface.Exponent > 18)
                {
                    throw new CaptureFormatException(
                        $"pcapng interface block at byte {blockOffset}: timestamp resolution 0x{value[0]:X2} is not supported");
                }
            }
            else if (code == OptionTsOffset && length >= 8)
            {
                iface.OffsetSeconds = (long)(bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(value) : BinaryPrimitives.ReadUInt64LittleEndian(value));
            }

            options = options[(4 + padded)..];
        }

        return iface;
    }

    private static long ToNanoseconds(ulong ts, Interface iface)
    {
        Int128 ns;
        if (iface.Binary)
        {
            ns = (Int128)ts * 1_000_000_000 / ((Int128)1 << iface.Exponent);
        }
        else if (iface.Exponent <= 9)
        {
            ns = (Int128)ts * Pow10(9 - iface.Exponent);
        }
        else
        {
            ns = ts / (ulong)Pow10(iface.Exponent - 9);
        }

        ns += (Int128)iface.OffsetSeconds * 1_000_000_000;
        return ns > long.MaxValue ? long.MaxValue : ns < long.MinValue ? long.MinValue : (long)ns;
    }

    private static long Pow10(int exponent)
    {
        long value = 1;
        for (int i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }

    private static ushort Read16(ReadOnlySpan<byte> span, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);

    private static uint Read32(ReadOnlySpan<byte> span, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);
}
