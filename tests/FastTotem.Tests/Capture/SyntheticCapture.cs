using System.Buffers.Binary;
using System.Net;

namespace FastTotem.Tests.Capture;

/// <summary>
/// Builds small captures byte by byte for tests: classic pcap or pcapng files holding Ethernet,
/// Linux cooked (SLL/SLL2) or raw frames with IPv4/IPv6/UDP, fragmented where asked.
/// </summary>
internal static class SyntheticCapture
{
    public readonly record struct Frame(long TimestampNs, byte[] Data);

    public static byte[] Pcap(int linkType, IEnumerable<Frame> frames, bool bigEndian = false, bool nanoseconds = false)
    {
        var output = new List<byte>();
        Put32(output, nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4, bigEndian);
        Put16(output, 2, bigEndian);
        Put16(output, 4, bigEndian);
        Put32(output, 0, bigEndian);
        Put32(output, 0, bigEndian);
        Put32(output, 262144, bigEndian);
        Put32(output, (uint)linkType, bigEndian);
        foreach (Frame frame in frames)
        {
            Put32(output, (uint)(frame.TimestampNs / 1_000_000_000), bigEndian);
            long fraction = frame.TimestampNs % 1_000_000_000;
            Put32(output, (uint)(nanoseconds ? fraction : fraction / 1000), bigEndian);
            Put32(output, (uint)frame.Data.Length, bigEndian);
            Put32(output, (uint)frame.Data.Length, bigEndian);
            output.AddRange(frame.Data);
        }

        return output.ToArray();
    }

    /// <summary>One interface of a pcapng file: its link type and its if_tsresol byte (6 = µs, 9 = ns).</summary>
    public readonly record struct NgInterface(int LinkType, byte TsResolution);

    /// <summary>A packet on interface <paramref name="Interface"/>; <paramref name="Simple"/> writes a Simple Packet Block.</summary>
    public readonly record struct NgPacket(int Interface, long Timestamp, byte[] Data, bool Simple = false);

    public static byte[] PcapNg(IReadOnlyList<NgInterface> interfaces, IEnumerable<NgPacket> packets, bool bigEndian = false)
    {
        var output = new List<byte>();

        // Section header block.
        var shb = new List<byte>();
        Put32(shb, 0x1A2B3C4D, bigEndian);
        Put16(shb, 1, bigEndian);
        Put16(shb, 0, bigEndian);
        Put32(shb, 0xFFFFFFFF, bigEndian);
        Put32(shb, 0xFFFFFFFF, bigEndian);
        Block(output, 0x0A0D0D0A, shb, bigEndian);

        // An unknown block type before the interfaces must be skipped.
        Block(output, 0x0000000B, [1, 2, 3, 4], bigEndian);

        foreach (NgInterface iface in interfaces)
        {
            var idb = new List<byte>();
            Put16(idb, (ushort)iface.LinkType, bigEndian);
            Put16(idb, 0, bigEndian);
            Put32(idb, 262144, bigEndian);
            Put16(idb, 9, bigEndian);
            Put16(idb, 1, bigEndian);
            idb.Add(iface.TsResolution);
            idb.AddRange(new byte[3]);
            Put16(idb, 0, bigEndian);
            Put16(idb, 0, bigEndian);
            Block(output, 1, idb, bigEndian);
        }

        foreach (NgPacket packet in packets)
        {
            var body = new List<byte>();
            if (packet.Simple)
            {
                Put32(body, (uint)packet.Data.Length, bigEndian);
                body.AddRange(packet.Data);
                Pad(body);
                Block(output, 3, body, bigEndian);
                continue;
            }

            Put32(body, (uint)packet.Interface, bigEndian);
            Put32(body, (uint)((ulong)packet.Timestamp >> 32), bigEndian);
            Put32(body, (uint)packet.Timestamp, bigEndian);
            Put32(body, (uint)packet.Data.Length, bigEndian);
            Put32(body, (uint)packet.Data.Length, bigEndian);
            body.AddRange(packet.Data);
            Pad(body);
            Block(output, 6, body, bigEndian);
        }

        return output.ToArray();
    }

    public static byte[] Ethernet(ushort etherType, byte[] payload, params ushort[] vlanIds)
    {
        var frame = new List<byte>
        {
            0x02, 0, 0, 0, 0, 2, // destination MAC
            0x02, 0, 0, 0, 0, 1, // source MAC
        };
        foreach (ushort vlan in vlanIds)
        {
            Put16Be(frame, 0x8100);
            Put16Be(frame, vlan);
        }

        Put16Be(frame, etherType);
        frame.AddRange(payload);
        return frame.ToArray();
    }

    /// <summary>A Linux cooked v1 frame (16-byte header).</summary>
    public static byte[] LinuxSll(ushort protocol, byte[] payload)
    {
        var frame = new List<byte>();
        Put16Be(frame, 0); // packet type: to us
        Put16Be(frame, 1); // ARPHRD_ETHER
        Put16Be(frame, 6);
        frame.AddRange(new byte[] { 2, 0, 0, 0, 0, 1, 0, 0 });
        Put16Be(frame, protocol);
        frame.AddRange(payload);
        return frame.ToArray();
    }

    /// <summary>A Linux cooked v2 frame (20-byte header).</summary>
    public static byte[] LinuxSll2(ushort protocol, byte[] payload)
    {
        var frame = new List<byte>();
        Put16Be(frame, protocol);
        Put16Be(frame, 0);
        frame.AddRange(new byte[] { 0, 0, 0, 2 }); // interface index
        Put16Be(frame, 1);
        frame.Add(0);
        frame.Add(6);
        frame.AddRange(new byte[] { 2, 0, 0, 0, 0, 1, 0, 0 });
        frame.AddRange(payload);
        return frame.ToArray();
    }

    public static byte[] Udp(int sourcePort, int destinationPort, byte[] payload)
    {
        var segment = new List<byte>();
        Put16Be(segment, (ushort)sourcePort);
        Put16Be(segment, (ushort)destinationPort);
        Put16Be(segment, (ushort)(payload.Length + 8));
        Put16Be(segment, 0);
        segment.AddRange(payload);
        return segment.ToArray();
    }

    /// <summary>
    /// IPv4 packets carrying <paramref name="ipPayload"/>; split into fragments of at most
    /// <paramref name="fragmentPayloadMax"/> bytes (a multiple of 8) when it does not fit.
    /// </summary>
    public static List<byte[]> Ipv4(
        IPAddress source, IPAddress destination, int protocol, byte[] ipPayload, ushort id = 0x1234, int fragmentPayloadMax = 65515)
    {
        var packets = new List<byte[]>();
        int offset = 0;
        do
        {
            int length = Math.Min(fragmentPayloadMax, ipPayload.Length - offset);
            bool more = offset + length < ipPayload.Length;
            var packet = new List<byte> { 0x45, 0 };
            Put16Be(packet, (ushort)(20 + length));
            Put16Be(packet, id);
            Put16Be(packet, (ushort)((more ? 0x2000 : 0) | (offset / 8)));
            packet.Add(64);
            packet.Add((byte)protocol);
            Put16Be(packet, 0);
            packet.AddRange(source.GetAddressBytes());
            packet.AddRange(destination.GetAddressBytes());
            packet.AddRange(ipPayload.AsSpan(offset, length).ToArray());
            packets.Add(packet.ToArray());
            offset += length;
        }
        while (offset < ipPayload.Length);
        return packets;
    }

    /// <summary>
    /// IPv6 packets carrying <paramref name="upperPayload"/> (protocol <paramref name="nextHeader"/>), behind a
    /// hop-by-hop header when asked; fragmented with Fragment headers when <paramref name="fragmentPayloadMax"/> is set.
    /// </summary>
    public static List<byte[]> Ipv6(
        IPAddress source, IPAddress destination, int nextHeader, byte[] upperPayload, bool hopByHop = false,
        int fragmentPayloadMax = 0, uint id = 0xCAFE)
    {
        var packets = new List<byte[]>();
        if (fragmentPayloadMax == 0)
        {
            packets.Add(Ipv6Packet(source, destination, nextHeader, upperPayload, hopByHop));
            return packets;
        }

        int offset = 0;
        do
        {
            int length = Math.Min(fragmentPayloadMax, upperPayload.Length - offset);
            bool more = offset + length < upperPayload.Length;
            var fragment = new List<byte> { (byte)nextHeader, 0 };
            Put16Be(fragment, (ushort)(offset | (more ? 1 : 0)));
            Put32Be(fragment, id);
            fragment.AddRange(upperPayload.AsSpan(offset, length).ToArray());
            packets.Add(Ipv6Packet(source, destination, 44, fragment.ToArray(), hopByHop));
            offset += length;
        }
        while (offset < upperPayload.Length);
        return packets;
    }

    private static byte[] Ipv6Packet(
        IPAddress source, IPAddress destination, int nextHeader, byte[] payload, bool hopByHop)
    {
        var body = new List<byte>();
        int first = nextHeader;
        if (hopByHop)
        {
            // 8-byte hop-by-hop header with a PadN option.
            body.AddRange(new byte[] { (byte)nextHeader, 0, 1, 4, 0, 0, 0, 0 });
            first = 0;
        }

        body.AddRange(payload);
        var packet = new List<byte> { 0x60, 0, 0, 0 };
        Put16Be(packet, (ushort)body.Count);
        packet.Add((byte)first);
        packet.Add(64);
        packet.AddRange(source.GetAddressBytes());
        packet.AddRange(destination.GetAddressBytes());
        packet.AddRange(body);
        return packet.ToArray();
    }

    private static void Block(List<byte> output, uint type, List<byte> body, bool bigEndian)
    {
        Pad(body);
        uint length = (uint)(body.Count + 12);
        Put32(output, type, bigEndian);
        Put32(output, length, bigEndian);
        output.AddRange(body);
        Put32(output, length, bigEndian);
    }

    private static void Pad(List<byte> body)
    {
        while (body.Count % 4 != 0)
        {
            body.Add(0);
        }
    }

    private static void Put16(List<byte> output, ushort value, bool bigEndian)
    {
        Span<byte> bytes = stackalloc byte[2];
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        }

        output.AddRange(bytes.ToArray());
    }

    private static void Put32(List<byte> output, uint value, bool bigEndian)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        }

        output.AddRange(bytes.ToArray());
    }

    private static void Put16Be(List<byte> output, ushort value) => Put16(output, value, bigEndian: true);

    private static void Put32Be(List<byte> output, uint value) => Put32(output, value, bigEndian: true);
}
