using FastTotem.Capture;

namespace FastTotem.Fuzz;

/// <summary>
/// <c>capture</c>: the offline decoder, <c>fasttotem decode</c>'s path. The first byte picks the entry point:
/// even, the rest is a capture file (pcap or pcapng) read by <see cref="CaptureFile.Read(ReadOnlyMemory{byte})"/>;
/// odd, the rest is a list of frames (link-type byte, 2 length bytes, the bytes) fed straight to the packet parser
/// and its IP reassembly, so the mutator need not keep a file header valid. Every datagram found then goes through
/// <see cref="TotemCaptureDecoder"/> and both formatters. The only exception allowed is
/// <see cref="CaptureFormatException"/> for a file that is not a capture at all.
/// </summary>
public sealed class CaptureTarget : IFuzzTarget
{
    private const int FramesMax = 256;

    private static readonly int[] LinkTypes =
    [
        LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null, LinkType.RawAlt12, LinkType.RawAlt14, 0x1234,
    ];

    public string Name => "capture";

    public void Run(ReadOnlySpan<byte> input)
    {
        var reader = new FuzzInput(input);
        if ((reader.Byte() & 1) == 0)
        {
            CaptureContents contents;
            try
            {
                contents = CaptureFile.Read(reader.Rest().ToArray());
            }
            catch (CaptureFormatException)
            {
                return;
            }

            if (contents.FrameCount < contents.Datagrams.Count)
            {
                throw new FuzzInvariantException($"{contents.Datagrams.Count} datagrams out of {contents.FrameCount} frames");
            }

            TotemCaptureDecoder.Run(contents, new DecodeOptions("-", DecodeOptions.DefaultPort, Json: false), TextWriter.Null, TextWriter.Null);
            Decode(contents.Datagrams);
            return;
        }

        var datagrams = new List<CapturedDatagram>();
        var parser = new PacketParser(datagrams, new List<string>());
        for (int n = 1; n <= FramesMax && !reader.IsEmpty; n++)
        {
            int linkType = LinkTypes[reader.Byte() % LinkTypes.Length];
            int length = reader.UInt16();
            byte[] data = reader.Bytes(length).ToArray();
            parser.Parse(new CaptureFrame(n, n * 1_000_000L, linkType, data, data.Length));
        }

        Decode(datagrams);
    }

    private static void Decode(IReadOnlyList<CapturedDatagram> datagrams)
    {
        var decoder = new TotemCaptureDecoder(0);
        foreach (CapturedDatagram datagram in datagrams)
        {
            if (datagram.Payload.Length > 65535)
            {
                throw new FuzzInvariantException($"a UDP payload of {datagram.Payload.Length} bytes");
            }

            DecodedFields fields = decoder.Decode(datagram);
            _ = DecodeTextFormatter.Format(fields);
            _ = DecodeJsonFormatter.Format(fields);
        }

        // Every datagram is either a Totem datagram or a knet packet; a knet packet carries a Totem datagram only once
        // its payload is whole (after reassembly), and that one is counted as a Totem datagram too.
        KnetDecodeCounts knet = decoder.Knet;
        int plainTotem = decoder.DatagramCount - knet.Payloads;
        if (plainTotem < 0 || plainTotem + knet.Packets != datagrams.Count || knet.Payloads > knet.Packets
            || decoder.UndecodableCount > decoder.DatagramCount)
        {
            throw new FuzzInvariantException(
                $"decoder counted {decoder.DatagramCount} Totem datagrams ({decoder.UndecodableCount} undecodable, {knet.Payloads} out of knet) " +
                $"and {knet.Packets} knet packets, of {datagrams.Count} datagrams");
        }
    }
}
