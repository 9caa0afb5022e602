using System.Net;

namespace FastTotem.Capture;

/// <summary>
/// One UDP datagram found in a capture, after IP reassembly.
/// </summary>
/// <param name="Frame">1-based number of the frame that completed the datagram (the only frame when it
/// was not fragmented); matches Wireshark's and the decoded/*.decoded.txt frame numbers.</param>
/// <param name="TimestampNs">Absolute capture time of that frame, in nanoseconds since the Unix epoch.</param>
/// <param name="Source">IP source address.</param>
/// <param name="SourcePort">UDP source port.</param>
/// <param name="Destination">IP destination address.</param>
/// <param name="DestinationPort">UDP destination port.</param>
/// <param name="Payload">The UDP payload, exactly the UDP length minus 8 bytes.</param>
internal sealed record CapturedDatagram(
    int Frame,
    long TimestampNs,
    IPAddress Source,
    int SourcePort,
    IPAddress Destination,
    int DestinationPort,
    byte[] Payload)
{
    /// <summary>Number of IP fragments the datagram arrived in (1 when it was not fragmented).</summary>
    public int FragmentCount { get; init; } = 1;
}
