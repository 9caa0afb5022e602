namespace FastTotem.Capture;

/// <summary>
/// Reads the UDP datagrams out of a pcap or pcapng capture. Offline tooling: it allocates freely.
/// </summary>
internal static class CaptureFile
{
    /// <summary>Reads a capture file; see <see cref="Read(ReadOnlyMemory{byte})"/>.</summary>
    /// <exception cref="CaptureFormatException">The file is not a capture, or is corrupt.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CaptureContents Read(string path) => Read(File.ReadAllBytes(path));

    /// <summary>Reads a capture from a stream to its end.</summary>
    public static CaptureContents Read(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.ToArray());
    }

    public static CaptureContents Read(byte[] file) => Read(new ReadOnlyMemory<byte>(file));

    /// <summary>
    /// Splits the capture into frames and returns every UDP datagram (IP fragments reassembled),
    /// with the warnings met on the way. A truncated last record becomes a warning, not an error.
    /// </summary>
    public static CaptureContents Read(ReadOnlyMemory<byte> file)
    {
        var frames = new List<CaptureFrame>();
        var warnings = new List<string>();
        CaptureFormat format;
        bool truncated;
        if (PcapReader.IsPcap(file.Span))
        {
            format = CaptureFormat.Pcap;
            truncated = PcapReader.ReadFrames(file, frames, warnings);
        }
        else if (PcapNgReader.IsPcapNg(file.Span))
        {
            format = CaptureFormat.PcapNg;
            truncated = PcapNgReader.ReadFrames(file, frames, warnings);
        }
        else
        {
            throw new CaptureFormatException(file.Length < 4
                ? $"not a pcap or pcapng file (only {file.Length} bytes)"
                : "not a pcap or pcapng file (unknown magic number)");
        }

        var datagrams = new List<CapturedDatagram>();
        var icmpErrors = new List<CapturedIcmp>();
        var parser = new PacketParser(datagrams, warnings, icmpErrors);
        foreach (CaptureFrame frame in frames)
        {
            parser.Parse(frame);
        }

        int incomplete = parser.Reassembler.PendingCount + parser.Reassembler.DroppedIncomplete;
        if (incomplete > 0)
        {
            warnings.Add($"{incomplete} fragmented IP datagram(s) never completed");
        }

        return new CaptureContents(format, frames.Count, datagrams, warnings) {
            Truncated = truncated,
            IcmpErrors = icmpErrors,
            FirstFrameTimestampNs = frames.Count > 0 ? frames[0].TimestampNs : 0,
        };
    }

    /// <summary>The UDP datagrams of a capture file, in capture order.</summary>
    public static IReadOnlyList<CapturedDatagram> ReadUdpDatagrams(string path) => Read(path).Datagrams;

    public static IReadOnlyList<CapturedDatagram> ReadUdpDatagrams(Stream stream) => Read(stream).Datagrams;

    public static IReadOnlyList<CapturedDatagram> ReadUdpDatagrams(byte[] file) => Read(file).Datagrams;
}
