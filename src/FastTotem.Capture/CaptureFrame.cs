namespace FastTotem.Capture;

/// <summary>One packet record of a capture file, before any link-layer parsing.</summary>
internal readonly record struct CaptureFrame(
    int Number, long TimestampNs, int LinkType, ReadOnlyMemory<byte> Data, int OriginalLength);
