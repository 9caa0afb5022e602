namespace FastTotem.Capture;

/// <summary>
/// The capture file is not a pcap/pcapng file, or its structure is broken beyond a truncated
/// last record. Capture reading is offline tooling, so a broken file is an exception here;
/// the CLI turns it into exit code 2.
/// </summary>
internal sealed class CaptureFormatException : Exception
{
    public CaptureFormatException(string message)
        : base(message)
    {
    }

    public CaptureFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
