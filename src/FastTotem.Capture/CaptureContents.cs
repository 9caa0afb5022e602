namespace FastTotem.Capture;

/// <summary>Everything <see cref="CaptureFile.Read(ReadOnlyMemory{byte})"/> found in a capture.</summary>
internal sealed class CaptureContents
{
    internal CaptureContents(
        CaptureFormat format, int frameCount, IReadOnlyList<CapturedDatagram> datagrams, IReadOnlyList<string> warnings)
    {
        Format = format;
        FrameCount = frameCount;
        Datagrams = datagrams;
        Warnings = warnings;
    }

    public CaptureFormat Format { get; }

    /// <summary>Packet records read (every frame, UDP or not).</summary>
    public int FrameCount { get; }

    /// <summary>UDP datagrams in capture order (the order of the frames that completed them).</summary>
    public IReadOnlyList<CapturedDatagram> Datagrams { get; }

    /// <summary>
    /// Things worth telling the user that did not stop the read: a truncated last record, frames cut
    /// short by the snap length, fragments that never completed, unknown link types.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>ICMP/ICMPv6 errors quoting a UDP datagram (port unreachable and the like), in capture order.</summary>
    public IReadOnlyList<CapturedIcmp> IcmpErrors { get; internal init; } = [];

    /// <summary>Capture time of the first frame of any kind (ns since the Unix epoch), or 0 for an empty capture.</summary>
    public long FirstFrameTimestampNs { get; internal init; }

    /// <summary>True when the file ends inside a record (a capture cut off while being written).</summary>
    public bool Truncated { get; internal init; }
}

/// <summary>The container format of a capture file.</summary>
internal enum CaptureFormat
{
    Pcap,
    PcapNg,
}
