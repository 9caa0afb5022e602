using System.Net;
using FastTotem.Capture;

namespace FastTotem.Tests.Capture;

public class CaptureFileTests
{
    private static readonly IPAddress Node1 = IPAddress.Parse("10.212.0.1");
    private static readonly IPAddress Node2 = IPAddress.Parse("10.212.0.2");
    private static readonly IPAddress Node1V6 = IPAddress.Parse("fd00::1");
    private static readonly IPAddress Node2V6 = IPAddress.Parse("fd00::2");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string name in CaptureFixtures.Names)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_udp_datagrams_match_the_independent_decode(string name)
    {
        CaptureContents contents = CaptureFile.Read(CaptureFixtures.PcapPath(name));
        List<CaptureFixtures.DecodedUdpLine> expected = CaptureFixtures.ReadDecodedUdpLines(name);

        Assert.Equal(CaptureFormat.Pcap, contents.Format);
        Assert.False(contents.Truncated);
        Assert.Empty(contents.Warnings);
        Assert.NotEmpty(expected);

        // Every UDP datagram in these captures is Totem traffic to 5405, each in its own frame.
        Assert.Equal(expected.Count, contents.Datagrams.Count);
        var byFrame = new Dictionary<int, CapturedDatagram>();
        foreach (CapturedDatagram datagram in contents.Datagrams)
        {
            Assert.True(byFrame.TryAdd(datagram.Frame, datagram), $"frame {datagram.Frame} twice");
        }

        long first = contents.Datagrams[0].TimestampNs;
        foreach (CaptureFixtures.DecodedUdpLine line in expected)
        {
            Assert.True(byFrame.TryGetValue(line.Frame, out CapturedDatagram? datagram), $"{name}#{line.Frame} missing");
            Assert.Equal(line.Source, datagram.Source.ToString());
            Assert.Equal(line.SourcePort, datagram.SourcePort);
            Assert.Equal(line.Destination, datagram.Destination.ToString());
            Assert.Equal(line.DestinationPort, datagram.DestinationPort);
            Assert.Equal(line.Length, datagram.Payload.Length);
            Assert.Equal(1, datagram.FragmentCount);
            Assert.Equal(0xC070, datagram.Payload[0] | (datagram.Payload[1] << 8));
        }

        // Frame numbers count every frame, ICMP included, so the last number is at least the UDP count.
        Assert.True(contents.FrameCount >= contents.Datagrams.Count);
        Assert.True(contents.Datagrams[^1].TimestampNs >= first);
    }

    [Fact]
    public void Fixture_times_match_the_independent_decode()
    {
        // a#1 is the first frame; a#16 is at 0.205972 s (decoded file, microsecond resolution).
        CaptureContents contents = CaptureFile.Read(CaptureFixtures.PcapPath("a-2node-formation"));
        List<CaptureFixtures.DecodedUdpLine> expected = CaptureFixtures.ReadDecodedUdpLines("a-2node-formation");
        long origin = contents.Datagrams[0].TimestampNs;
        Assert.Equal(1, contents.Datagrams[0].Frame);
        foreach (CaptureFixtures.DecodedUdpLine line in expected)
        {
            CapturedDatagram datagram = contents.Datagrams.First(d => d.Frame == line.Frame);
            double seconds = (datagram.TimestampNs - origin) / 1e9;
            Assert.Equal(line.Time, seconds, 6);
        }
    }

    [Fact]
    public void Stream_and_byte_overloads_agree_with_the_path_overload()
    {
        string path = CaptureFixtures.PcapPath("g-node3-graceful-leave");
        IReadOnlyList<CapturedDatagram> fromPath = CaptureFile.ReadUdpDatagrams(path);
        using FileStream stream = File.OpenRead(path);
        IReadOnlyList<CapturedDatagram> fromStream = CaptureFile.ReadUdpDatagrams(stream);
        IReadOnlyList<CapturedDatagram> fromBytes = CaptureFile.ReadUdpDatagrams(File.ReadAllBytes(path));
        Assert.Equal(fromPath.Count, fromStream.Count);
        Assert.Equal(fromPath.Count, fromBytes.Count);
        for (int i = 0; i < fromPath.Count; i++)
        {
            Assert.Equal(fromPath[i].Payload, fromStream[i].Payload);
            Assert.Equal(fromPath[i].Frame, fromBytes[i].Frame);
            Assert.Equal(fromPath[i].TimestampNs, fromBytes[i].TimestampNs);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Classic_pcap_in_both_byte_orders_and_resolutions(bool bigEndian, bool nanoseconds)
    {
        byte[] payload = Payload(100, 7);
        long ts = 1_700_000_000_123_456_789L;
        byte[] file = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [
                new(ts, SyntheticCapture.Ethernet(0x0806, new byte[28])), // ARP: skipped
                new(ts + 1000, EthernetUdp(Node1, Node2, 40000, 5405, payload, vlanIds: [12])),
            ],
            bigEndian,
            nanoseconds);

        CaptureContents contents = CaptureFile.Read(file);

        Assert.Equal(2, contents.FrameCount);
        CapturedDatagram datagram = Assert.Single(contents.Datagrams);
        Assert.Equal(2, datagram.Frame);
        Assert.Equal(nanoseconds ? ts + 1000 : (ts + 1000) / 1000 * 1000, datagram.TimestampNs);
        Assert.Equal(Node1, datagram.Source);
        Assert.Equal(40000, datagram.SourcePort);
        Assert.Equal(Node2, datagram.Destination);
        Assert.Equal(5405, datagram.DestinationPort);
        Assert.Equal(payload, datagram.Payload);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pcapng_with_two_interfaces_of_different_link_types_and_resolutions(bool bigEndian)
    {
        byte[] first = Payload(60, 1);
        byte[] second = Payload(70, 2);
        byte[] third = Payload(80, 3);
        byte[] file = SyntheticCapture.PcapNg(
            [new(LinkType.Ethernet, 6), new(LinkType.LinuxSll, 9)],
            [
                new(0, 1_700_000_000_000_001L, EthernetUdp(Node1, Node2, 1111, 5405, first)),
                new(1, 1_700_000_000_000_002_003L, SyntheticCapture.LinuxSll(0x0800, Ipv4Udp(Node2, Node1, 2222, 5405, second))),
                new(0, 0, EthernetUdp(Node2, Node1, 5405, 5405, third), Simple: true),
            ],
            bigEndian);

        CaptureContents contents = CaptureFile.Read(file);

        Assert.Equal(CaptureFormat.PcapNg, contents.Format);
        Assert.Equal(3, contents.FrameCount);
        Assert.Equal(3, contents.Datagrams.Count);
        Assert.Equal(1_700_000_000_000_001_000L, contents.Datagrams[0].TimestampNs);
        Assert.Equal(1_700_000_000_000_002_003L, contents.Datagrams[1].TimestampNs);
        Assert.Equal(first, contents.Datagrams[0].Payload);
        Assert.Equal(second, contents.Datagrams[1].Payload);
        Assert.Equal(2222, contents.Datagrams[1].SourcePort);
        Assert.Equal(third, contents.Datagrams[2].Payload);
        Assert.Equal(3, contents.Datagrams[2].Frame);
    }

    [Fact]
    public void Linux_cooked_v1_and_v2()
    {
        byte[] v1 = Payload(120, 4);
        byte[] v2 = Payload(130, 5);
        byte[] sll = SyntheticCapture.Pcap(
            LinkType.LinuxSll, [new(1_000_000_000, SyntheticCapture.LinuxSll(0x0800, Ipv4Udp(Node1, Node2, 3333, 5405, v1)))]);
        byte[] sll2 = SyntheticCapture.Pcap(
            LinkType.LinuxSll2, [new(1_000_000_000, SyntheticCapture.LinuxSll2(0x86DD, Ipv6Udp(Node1V6, Node2V6, 4444, 5405, v2)))]);

        CapturedDatagram a = Assert.Single(CaptureFile.ReadUdpDatagrams(sll));
        CapturedDatagram b = Assert.Single(CaptureFile.ReadUdpDatagrams(sll2));

        Assert.Equal(v1, a.Payload);
        Assert.Equal(3333, a.SourcePort);
        Assert.Equal(v2, b.Payload);
        Assert.Equal(Node1V6, b.Source);
        Assert.Equal(Node2V6, b.Destination);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ipv4_fragmented_1500_byte_payload_is_reassembled(bool outOfOrder)
    {
        byte[] payload = Payload(1500, 9);
        byte[] udp = SyntheticCapture.Udp(35049, 5405, payload);
        List<byte[]> fragments = SyntheticCapture.Ipv4(Node2, Node1, 17, udp, id: 0x4242, fragmentPayloadMax: 1480);
        Assert.Equal(2, fragments.Count);
        if (outOfOrder)
        {
            fragments.Reverse();
        }

        // An unrelated datagram between the two fragments must not disturb reassembly.
        byte[] other = Payload(50, 3);
        byte[] file = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [
                new(1_000_000_000, SyntheticCapture.Ethernet(0x0800, fragments[0])),
                new(1_000_001_000, EthernetUdp(Node1, Node2, 5405, 5405, other)),
                new(1_000_002_000, SyntheticCapture.Ethernet(0x0800, fragments[1])),
            ]);

        CaptureContents contents = CaptureFile.Read(file);

        Assert.Empty(contents.Warnings);
        Assert.Equal(2, contents.Datagrams.Count);
        Assert.Equal(other, contents.Datagrams[0].Payload);
        CapturedDatagram whole = contents.Datagrams[1];
        Assert.Equal(3, whole.Frame);
        Assert.Equal(1_000_002_000, whole.TimestampNs);
        Assert.Equal(2, whole.FragmentCount);
        Assert.Equal(35049, whole.SourcePort);
        Assert.Equal(payload, whole.Payload);
    }

    [Fact]
    public void Ipv4_fragment_that_never_completes_is_reported()
    {
        byte[] udp = SyntheticCapture.Udp(35049, 5405, Payload(1500, 9));
        List<byte[]> fragments = SyntheticCapture.Ipv4(Node2, Node1, 17, udp, fragmentPayloadMax: 1480);
        byte[] file = SyntheticCapture.Pcap(LinkType.Ethernet, [new(0, SyntheticCapture.Ethernet(0x0800, fragments[0]))]);

        CaptureContents contents = CaptureFile.Read(file);

        Assert.Empty(contents.Datagrams);
        Assert.Contains(contents.Warnings, w => w.Contains("never completed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ipv6_fragment_header_fragments_are_reassembled(bool outOfOrder)
    {
        // A full-size corosync mcast (1455 bytes) over IPv6 is a 1510-byte frame plus a small one (docs/wire-format.md §1.3).
        byte[] payload = Payload(1455, 11);
        byte[] udp = SyntheticCapture.Udp(50000, 5405, payload);
        List<byte[]> packets = SyntheticCapture.Ipv6(Node1V6, Node2V6, 17, udp, hopByHop: true, fragmentPayloadMax: 1448);
        Assert.Equal(2, packets.Count);
        if (outOfOrder)
        {
            packets.Reverse();
        }

        byte[] file = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [
                new(5_000, SyntheticCapture.Ethernet(0x86DD, packets[0])),
                new(6_000, SyntheticCapture.Ethernet(0x86DD, packets[1])),
            ]);

        CaptureContents contents = CaptureFile.Read(file);

        CapturedDatagram whole = Assert.Single(contents.Datagrams);
        Assert.Equal(2, whole.Frame);
        Assert.Equal(2, whole.FragmentCount);
        Assert.Equal(Node1V6, whole.Source);
        Assert.Equal(payload, whole.Payload);
    }

    [Fact]
    public void Non_udp_frames_are_skipped()
    {
        byte[] icmp = new byte[36];
        icmp[0] = 3;
        icmp[1] = 3;
        byte[] file = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [
                new(0, SyntheticCapture.Ethernet(0x0800, SyntheticCapture.Ipv4(Node2, Node1, 1, icmp)[0])),
                new(0, SyntheticCapture.Ethernet(0x0806, new byte[28])),
                new(0, SyntheticCapture.Ethernet(0x86DD, SyntheticCapture.Ipv6(Node1V6, Node2V6, 58, new byte[8])[0])),
            ]);

        CaptureContents contents = CaptureFile.Read(file);

        Assert.Equal(3, contents.FrameCount);
        Assert.Empty(contents.Datagrams);
    }

    [Fact]
    public void Truncated_last_record_is_reported_not_thrown()
    {
        byte[] file = File.ReadAllBytes(CaptureFixtures.PcapPath("a-2node-formation"));
        int full = CaptureFile.Read(file).Datagrams.Count;
        byte[] cut = file.AsSpan(0, file.Length - 10).ToArray();

        CaptureContents contents = CaptureFile.Read(cut);

        Assert.True(contents.Truncated);
        Assert.Contains(contents.Warnings, w => w.Contains("truncated", StringComparison.Ordinal));
        Assert.Equal(full - 1, contents.Datagrams.Count);
    }

    [Fact]
    public void Truncated_pcapng_block_is_reported_not_thrown()
    {
        byte[] file = SyntheticCapture.PcapNg(
            [new(LinkType.Ethernet, 6)],
            [
                new(0, 1, EthernetUdp(Node1, Node2, 1, 5405, Payload(40, 1))),
                new(0, 2, EthernetUdp(Node1, Node2, 1, 5405, Payload(40, 2))),
            ]);

        CaptureContents contents = CaptureFile.Read(file.AsSpan(0, file.Length - 8).ToArray());

        Assert.True(contents.Truncated);
        Assert.Single(contents.Datagrams);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0xD4, 0xC3, 0xB2, 0xA1, 2, 0 })]
    public void Not_a_capture_throws_capture_format_exception(byte[] file)
    {
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Read(file));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void Corrupt_pcapng_block_length_throws()
    {
        byte[] file = SyntheticCapture.PcapNg(
            [new(LinkType.Ethernet, 6)], [new(0, 1, EthernetUdp(Node1, Node2, 1, 5405, Payload(40, 1)))]);

        // Break the trailing length of the last block.
        file[^1] ^= 0x55;

        Assert.Throws<CaptureFormatException>(() => CaptureFile.Read(file));
    }

    [Fact]
    public void Random_garbage_after_a_valid_header_never_escapes_as_anything_but_capture_format_exception()
    {
        var random = new Random(20261124);
        byte[] valid = File.ReadAllBytes(CaptureFixtures.PcapPath("g-node3-graceful-leave"));
        for (int i = 0; i < 2000; i++)
        {
            byte[] file = valid.AsSpan(0, random.Next(valid.Length)).ToArray();
            for (int flips = random.Next(1, 20); flips > 0 && file.Length > 0; flips--)
            {
                file[random.Next(file.Length)] ^= (byte)(1 << random.Next(8));
            }

            try
            {
                CaptureFile.Read(file);
            }
            catch (CaptureFormatException)
            {
            }
        }
    }

    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Ipv4Udp(IPAddress source, IPAddress destination, int sourcePort, int destinationPort, byte[] payload) =>
        SyntheticCapture.Ipv4(source, destination, 17, SyntheticCapture.Udp(sourcePort, destinationPort, payload))[0];

    private static byte[] Ipv6Udp(IPAddress source, IPAddress destination, int sourcePort, int destinationPort, byte[] payload) =>
        SyntheticCapture.Ipv6(source, destination, 17, SyntheticCapture.Udp(sourcePort, destinationPort, payload))[0];

    private static byte[] EthernetUdp(
        IPAddress source, IPAddress destination, int sourcePort, int destinationPort, byte[] payload, ushort[]? vlanIds = null) =>
        SyntheticCapture.Ethernet(0x0800, Ipv4Udp(source, destination, sourcePort, destinationPort, payload), vlanIds ?? []);
}
