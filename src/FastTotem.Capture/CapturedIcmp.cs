using System.Net;

namespace FastTotem.Capture;

/// <summary>
/// An ICMP or ICMPv6 error found in a capture that quotes a UDP datagram (port unreachable and the like).
/// knet links go down on these, so the decoder reports them next to the knet traffic.
/// </summary>
/// <param name="Frame">1-based frame number.</param>
/// <param name="TimestampNs">Capture time in nanoseconds since the Unix epoch.</param>
/// <param name="Source">Who sent the ICMP error.</param>
/// <param name="Destination">Who gets it (the sender of the quoted datagram).</param>
/// <param name="IsIpv6">ICMPv6 rather than ICMP.</param>
/// <param name="Type">ICMP type (3 = destination unreachable for v4, 1 for v6).</param>
/// <param name="Code">ICMP code (3 = port unreachable for v4, 4 for v6).</param>
/// <param name="QuotedSource">Source address of the quoted datagram.</param>
/// <param name="QuotedSourcePort">Its UDP source port.</param>
/// <param name="QuotedDestination">Destination address of the quoted datagram.</param>
/// <param name="QuotedDestinationPort">Its UDP destination port.</param>
internal sealed record CapturedIcmp(
    int Frame,
    long TimestampNs,
    IPAddress Source,
    IPAddress Destination,
    bool IsIpv6,
    byte Type,
    byte Code,
    IPAddress QuotedSource,
    int QuotedSourcePort,
    IPAddress QuotedDestination,
    int QuotedDestinationPort);
