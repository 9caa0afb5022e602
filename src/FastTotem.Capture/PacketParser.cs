using System.Buffers.Binary;
using System.Net;

namespace FastTotem.Capture;

/// <summary>
/// Walks a frame from its link layer down to UDP: Ethernet (with 802.1Q/802.1ad tags), Linux cooked
/// v1 and v2, BSD loopback and raw IP; IPv4 and IPv6 (extension headers skipped); IP fragments
/// reassembled. ICMP and ICMPv6 errors that quote a UDP datagram are collected apart; anything else
/// that is not UDP (other ICMP, ARP, TCP, …) yields nothing.
/// </summary>
internal sealed class PacketParser
{
    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const ushort EtherTypeQinQOld = 0x9100;
    private const int ProtocolUdp = 17;
    private const int ProtocolIcmp = 1;
    private const int ProtocolIcmpv6 = 58;
    private const int Ipv6HopByHop = 0;
    private const int Ipv6Routing = 43;
    private const int Ipv6Fragment = 44;
    private const int Ipv6DestinationOptions = 60;
    private const int Ipv6Authentication = 51;
    private const int Ipv6NoNext = 59;
    private const int ExtensionHeadersMax = 16;

    private readonly IpFragmentReassembler _reassembler = new();
    private readonly List<CapturedDatagram> _datagrams;
    private readonly List<string> _warnings;
    private readonly HashSet<int> _unknownLinkTypes = new();

    /// <summary>
    /// The next header of each IPv6 fragmented datagram's first fragment: only that fragment says
    /// what the reassembled payload is, and it may arrive last.
    /// </summary>
    private readonly Dictionary<(IPAddress, IPAddress, uint), int> _firstFragmentNext = new();

    private readonly List<CapturedIcmp>? _icmpErrors;

    public PacketParser(List<CapturedDatagram> datagrams, List<string> warnings, List<CapturedIcmp>? icmpErrors = null)
    {
        _datagrams = datagrams;
        _warnings = warnings;
        _icmpErrors = icmpErrors;
    }

    public IpFragmentReassembler Reassembler => _reassembler;

    public void Parse(in CaptureFrame frame)
    {
        ReadOnlySpan<byte> data = frame.Data.Span;
        switch (frame.LinkType)
        {
            case LinkType.Ethernet:
                if (data.Length < 14)
                {
                    return;
                }

                ParseEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(data[12..]), data[14..]);
                return;
            case LinkType.LinuxSll:
                if (data.Length < 16)
                {
                    return;
                }

                ParseEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(data[14..]), data[16..]);
                return;
            case LinkType.LinuxSll2:
                if (data.Length < 20)
                {
                    return;
                }

                ParseEtherType(frame, BinaryPrimitives.ReadUInt16BigEndian(data), data[20..]);
                return;
            case LinkType.Null:
            {
                if (data.Length < 4)
                {
                    return;
                }

                // The family is in the capturing host's byte order; AF_INET is 2 everywhere, AF_INET6 varies.
                uint family = BinaryPrimitives.ReadUInt32LittleEndian(data);
                if (family > 0xFFFF)
                {
                    family = BinaryPrimitives.ReverseEndianness(family);
                }

                ParseIp(frame, data[4..], family == 2 ? 4 : family is 10 or 24 or 28 or 30 ? 6 : 0);
                return;
            }

            case LinkType.Raw:
            case LinkType.RawAlt12:
            case LinkType.RawAlt14:
                if (data.Length < 1)
                {
                    return;
                }

                ParseIp(frame, data, data[0] >> 4);
                return;
            default:
                if (_unknownLinkTypes.Add(frame.LinkType))
                {
                    _warnings.Add($"frame {frame.Number}: link type {frame.LinkType} is not supported; its frames are skipped");
                }

                return;
        }
    }

    private void ParseEtherType(in CaptureFrame frame, ushort etherType, ReadOnlySpan<byte> payload)
    {
        // Peel VLAN tags (802.1Q, 802.1ad and the old 0x9100 QinQ) down to the real ethertype.
        while (etherType is EtherTypeVlan or EtherTypeQinQ or EtherTypeQinQOld)
        {
            if (payload.Length < 4)
            {
                return;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
            payload = payload[4..];
        }

        if (etherType == EtherTypeIpv4)
        {
            ParseIp(frame, payload, 4);
        }
        else if (etherType == EtherTypeIpv6)
        {
            ParseIp(frame, payload, 6);
        }
    }

    private void ParseIp(in CaptureFrame frame, ReadOnlySpan<byte> packet, int version)
    {
        if (version == 4)
        {
            ParseIpv4(frame, packet);
        }
        else if (version == 6)
        {
            ParseIpv6(frame, packet);
        }
    }

    private void ParseIpv4(in CaptureFrame frame, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4)
        {
            return;
        }

        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (headerLength < 20 || totalLength < headerLength)
        {
            return;
        }

        if (totalLength > packet.Length)
        {
            _warnings.Add($"frame {frame.Number}: IPv4 packet cut short by the snap length ({packet.Length} of {totalLength} bytes); skipped");
            return;
        }

        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        bool moreFragments = (flagsAndOffset & 0x2000) != 0;
        int fragmentOffset = (flagsAndOffset & 0x1FFF) * 8;
        int protocol = packet[9];
        var source = new IPAddress(packet.Slice(12, 4));
        var destination = new IPAddress(packet.Slice(16, 4));
        ReadOnlySpan<byte> payload = packet[headerLength..totalLength];
        if (protocol == ProtocolIcmp && !moreFragments && fragmentOffset == 0)
        {
            ParseIcmpError(frame, source, destination, payload, isIpv6: false);
            return;
        }

        if (protocol != ProtocolUdp)
        {
            return;
        }

        if (moreFragments || fragmentOffset != 0)
        {
            uint id = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
            byte[]? whole = _reassembler.Add(
                source, destination, id, protocol, fragmentOffset, moreFragments, payload, out int count, out string? problem);
            if (problem is not null)
            {
                _warnings.Add($"frame {frame.Number}: {problem}");
            }

            if (whole is not null)
            {
                ParseUdp(frame, source, destination, whole, count);
            }

            return;
        }

        ParseUdp(frame, source, destination, payload, 1);
    }

    private void ParseIpv6(in CaptureFrame frame, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 40 || packet[0] >> 4 != 6)
        {
            return;
        }

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (payloadLength > packet.Length - 40)
        {
            _warnings.Add($"frame {frame.Number}: IPv6 packet cut short by the snap length ({packet.Length - 40} of {payloadLength} payload bytes); skipped");
            return;
        }

        var source = new IPAddress(packet.Slice(8, 16));
        var destination = new IPAddress(packet.Slice(24, 16));
        ReadOnlySpan<byte> rest = packet.Slice(40, payloadLength);
        int nextHeader = packet[6];
        for (int i = 0; i < ExtensionHeadersMax; i++)
        {
            switch (nextHeader)
            {
                case ProtocolUdp:
                    ParseUdp(frame, source, destination, rest, 1);
                    return;
                case ProtocolIcmpv6:
                    ParseIcmpError(frame, source, destination, rest, isIpv6: true);
                    return;
                case Ipv6HopByHop:
                case Ipv6Routing:
                case Ipv6DestinationOptions:
                {
                    if (rest.Length < 8)
                    {
                        return;
                    }

                    int length = (rest[1] + 1) * 8;
                    if (length > rest.Length)
                    {
                        return;
                    }

                    nextHeader = rest[0];
                    rest = rest[length..];
                    break;
                }

                case Ipv6Authentication:
                {
                    if (rest.Length < 8)
                    {
                        return;
                    }

                    int length = (rest[1] + 2) * 4;
                    if (length > rest.Length)
                    {
                        return;
                    }

                    nextHeader = rest[0];
                    rest = rest[length..];
                    break;
                }

                case Ipv6Fragment:
                {
                    if (rest.Length < 8)
                    {
                        return;
                    }

                    int fragmentNext = rest[0];
                    ushort offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
                    int fragmentOffset = offsetAndFlags & 0xFFF8;
                    bool moreFragments = (offsetAndFlags & 1) != 0;
                    uint id = BinaryPrimitives.ReadUInt32BigEndian(rest[4..]);
                    ReadOnlySpan<byte> fragment = rest[8..];
                    if (!moreFragments && fragmentOffset == 0)
                    {
                        // An atomic fragment (RFC 6946): nothing to put together.
                        nextHeader = fragmentNext;
                        rest = fragment;
                        break;
                    }

                    // Only the first fragment's next header describes the reassembled payload, so it
                    // is not part of the key; it is recovered from the first fragment's header below.
                    byte[]? whole = _reassembler.Add(
                        source, destination, id, -1, fragmentOffset, moreFragments, fragment, out int count, out string? problem);
                    if (fragmentOffset == 0)
                    {
                        _firstFragmentNext[(source, destination, id)] = fragmentNext;
                    }

                    if (problem is not null)
                    {
                        _warnings.Add($"frame {frame.Number}: {problem}");
                    }

                    if (whole is null)
                    {
                        return;
                    }

                    if (!_firstFragmentNext.Remove((source, destination, id), out int wholeNext))
                    {
                        return;
                    }

                    ParseIpv6Reassembled(frame, source, destination, wholeNext, whole, count);
                    return;
                }

                case Ipv6NoNext:
                default:
                    return;
            }
        }
    }

    private void ParseIpv6Reassembled(
        in CaptureFrame frame, IPAddress source, IPAddress destination, int nextHeader, ReadOnlySpan<byte> rest, int fragmentCount)
    {
        for (int i = 0; i < ExtensionHeadersMax; i++)
        {
            if (nextHeader == ProtocolUdp)
            {
                ParseUdp(frame, source, destination, rest, fragmentCount);
                return;
            }

            if (nextHeader is not (Ipv6DestinationOptions or Ipv6Routing or Ipv6HopByHop) || rest.Length < 8)
            {
                return;
            }

            int length = (rest[1] + 1) * 8;
            if (length > rest.Length)
            {
                return;
            }

            nextHeader = rest[0];
            rest = rest[length..];
        }
    }

    /// <summary>
    /// An ICMP error (v4 types 3, 4, 5, 11, 12; v6 types 1..4) quoting a UDP datagram: the quoted IP header and
    /// the first 8 bytes of its UDP header say which datagram it is about. Others are ignored.
    /// </summary>
    private void ParseIcmpError(in CaptureFrame frame, IPAddress source, IPAddress destination, ReadOnlySpan<byte> icmp, bool isIpv6)
    {
        if (_icmpErrors is null || icmp.Length < 8)
        {
            return;
        }

        byte type = icmp[0];
        bool isError = isIpv6 ? type is >= 1 and <= 4 : type is 3 or 4 or 5 or 11 or 12;
        if (!isError)
        {
            return;
        }

        ReadOnlySpan<byte> quoted = icmp[8..];
        IPAddress quotedSource;
        IPAddress quotedDestination;
        ReadOnlySpan<byte> udp;
        if (!isIpv6)
        {
            if (quoted.Length < 20 || quoted[0] >> 4 != 4 || quoted[9] != ProtocolUdp)
            {
                return;
            }

            int headerLength = (quoted[0] & 0x0F) * 4;
            if (headerLength < 20 || quoted.Length < headerLength + 8)
            {
                return;
            }

            quotedSource = new IPAddress(quoted.Slice(12, 4));
            quotedDestination = new IPAddress(quoted.Slice(16, 4));
            udp = quoted[headerLength..];
        }
        else
        {
            if (quoted.Length < 48 || quoted[0] >> 4 != 6 || quoted[6] != ProtocolUdp)
            {
                return;
            }

            quotedSource = new IPAddress(quoted.Slice(8, 16));
            quotedDestination = new IPAddress(quoted.Slice(24, 16));
            udp = quoted[40..];
        }

        _icmpErrors.Add(new CapturedIcmp(
            frame.Number, frame.TimestampNs, source, destination, isIpv6, type, icmp[1],
            quotedSource, BinaryPrimitives.ReadUInt16BigEndian(udp), quotedDestination, BinaryPrimitives.ReadUInt16BigEndian(udp[2..])));
    }

    private void ParseUdp(
        in CaptureFrame frame, IPAddress source, IPAddress destination, ReadOnlySpan<byte> segment, int fragmentCount)
    {
        if (segment.Length < 8)
        {
            return;
        }

        int sourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
        int destinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);

        // A zero length is legal only for IPv6 jumbograms; then the IP length rules.
        if (udpLength == 0)
        {
            udpLength = segment.Length;
        }

        if (udpLength < 8)
        {
            return;
        }

        if (udpLength > segment.Length)
        {
            _warnings.Add($"frame {frame.Number}: UDP length {udpLength} exceeds the {segment.Length} bytes present; skipped");
            return;
        }

        _datagrams.Add(new CapturedDatagram(
            frame.Number, frame.TimestampNs, source, sourcePort, destination, destinationPort, segment[8..udpLength].ToArray())
        {
            FragmentCount = fragmentCount,
        });
    }
}
