using System.Net;
using System.Text.Json;
using FastTotem.Capture;
using FastTotem.Tests.Capture;

namespace FastTotem.Tests.Decode;

/// <summary>Hand-picked frames, with the expected values read off decoded/*.decoded.txt and docs/wire-format.md §16.</summary>
public class DecodeSampleFrameTests
{
    private static JsonElement Frame(string fixture, int frame)
    {
        DecodeRun run = DecodeRun.Args(CaptureFixtures.PcapPath(CaptureFixtures.Resolve(fixture)), "--json");
        Assert.Equal(0, run.ExitCode);
        return run.Json().Single(e => e.GetProperty("frame").GetInt32() == frame);
    }

    private static void AssertRing(JsonElement element, uint rep, ulong seq)
    {
        Assert.Equal(rep, element.GetProperty("ring").GetProperty("rep").GetUInt32());
        Assert.Equal(seq, element.GetProperty("ring").GetProperty("seq").GetUInt64());
    }

    [Fact]
    public void A1_first_join()
    {
        JsonElement e = Frame("a", 1);
        Assert.Equal("join", e.GetProperty("type").GetString());
        Assert.Equal(0.0, e.GetProperty("time").GetDouble());
        Assert.Equal("10.212.0.1:44034", e.GetProperty("src").GetString());
        Assert.Equal("10.212.0.2:5405", e.GetProperty("dst").GetString());
        Assert.Equal(1u, e.GetProperty("nodeid").GetUInt32());
        Assert.Equal(1u, e.GetProperty("system_from").GetUInt32());
        Assert.Equal(1ul, e.GetProperty("ring_seq").GetUInt64());
        Assert.Equal([1u], e.GetProperty("proc").EnumerateArray().Select(x => x.GetUInt32()));
        Assert.Equal(0, e.GetProperty("failed").GetArrayLength());
        Assert.Equal(37, e.GetProperty("len").GetInt32());
    }

    [Fact]
    public void A36_commit_token_first_hop()
    {
        JsonElement e = Frame("a", 36);
        Assert.Equal("commit_token", e.GetProperty("type").GetString());
        Assert.Equal(2.190995, e.GetProperty("time").GetDouble(), 6);
        AssertRing(e, 1, 9);
        Assert.Equal(1u, e.GetProperty("token_seq").GetUInt32());
        Assert.Equal(1, e.GetProperty("memb_index").GetInt32());
        JsonElement members = e.GetProperty("members");
        Assert.Equal(2, members.GetArrayLength());
        Assert.Equal(1u, members[0].GetProperty("nodeid").GetUInt32());
        Assert.Equal(2u, members[1].GetProperty("nodeid").GetUInt32());

        // Entry 0 filled in by the rep (its singleton ring 1.5, aru 8), entry 1 still empty.
        AssertRing(members[0], 1, 5);
        Assert.Equal(8u, members[0].GetProperty("aru").GetUInt32());
        Assert.Equal(1u, members[0].GetProperty("received_flg").GetUInt32());
        AssertRing(members[1], 0, 0);
    }

    [Fact]
    public void A40_initial_orf_token()
    {
        JsonElement e = Frame("a", 40);
        Assert.Equal("orf_token", e.GetProperty("type").GetString());
        Assert.Equal(1u, e.GetProperty("nodeid").GetUInt32());
        AssertRing(e, 1, 9);
        Assert.Equal(0u, e.GetProperty("seq").GetUInt32());
        Assert.Equal(0u, e.GetProperty("token_seq").GetUInt32());
        Assert.Equal(0xFFFFFFFFu, e.GetProperty("aru").GetUInt32());
        Assert.Equal(1u, e.GetProperty("aru_addr").GetUInt32());
        Assert.Equal(0, e.GetProperty("rtr").GetArrayLength());
    }

    [Fact]
    public void F35_token_with_one_retransmit_request()
    {
        JsonElement e = Frame("f", 35);
        Assert.Equal("orf_token", e.GetProperty("type").GetString());
        Assert.Equal(3u, e.GetProperty("nodeid").GetUInt32());
        Assert.Equal(22u, e.GetProperty("seq").GetUInt32());
        Assert.Equal(209u, e.GetProperty("token_seq").GetUInt32());
        Assert.Equal(21u, e.GetProperty("aru").GetUInt32());
        Assert.Equal(3u, e.GetProperty("aru_addr").GetUInt32());
        Assert.Equal(73, e.GetProperty("len").GetInt32());
        JsonElement rtr = Assert.Single(e.GetProperty("rtr").EnumerateArray());
        AssertRing(rtr, 1, 9);
        Assert.Equal(22u, rtr.GetProperty("seq").GetUInt32());
    }

    [Fact]
    public void D171_cpg_mcast_of_10_bytes()
    {
        JsonElement e = Frame("d", 171);
        Assert.Equal("mcast", e.GetProperty("type").GetString());
        Assert.Equal(18u, e.GetProperty("seq").GetUInt32());
        AssertRing(e, 1, 9);
        Assert.False(e.GetProperty("encapsulated").GetBoolean());
        Assert.False(e.GetProperty("copy").GetBoolean());
        JsonElement pg = e.GetProperty("totempg");
        Assert.Equal(0, pg.GetProperty("fragmented").GetInt32());
        Assert.Equal([199], pg.GetProperty("msg_len").EnumerateArray().Select(x => x.GetInt32()));
        JsonElement message = Assert.Single(e.GetProperty("messages").EnumerateArray());
        Assert.Equal(["a"], message.GetProperty("groups").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("cpg", message.GetProperty("service").GetString());
        Assert.Equal("mcast", message.GetProperty("message").GetString());
        Assert.Equal("fasttotem", message.GetProperty("group").GetString());
        Assert.Equal(11955u, message.GetProperty("pid").GetUInt32());
        Assert.Equal(10u, message.GetProperty("msglen").GetUInt32());
        Assert.Equal(1u, message.GetProperty("source_nodeid").GetUInt32());
        Assert.StartsWith("AAAAAAAA", message.GetProperty("data").GetString(), StringComparison.Ordinal);

        // d#172 is the same mcast to node 3: marked as a copy, not decoded again.
        JsonElement copy = Frame("d", 172);
        Assert.True(copy.GetProperty("copy").GetBoolean());
        Assert.False(copy.TryGetProperty("messages", out _));
    }

    [Fact]
    public void D388_to_392_fragmented_cpg_mcast_is_reassembled()
    {
        JsonElement first = Frame("d", 388);
        JsonElement pg = first.GetProperty("totempg");
        Assert.Equal(1, pg.GetProperty("fragmented").GetInt32());
        Assert.Equal(0, pg.GetProperty("continuation").GetInt32());
        Assert.Equal([1400], pg.GetProperty("msg_len").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal(1400, pg.GetProperty("buffered").GetInt32());
        Assert.Equal(0, first.GetProperty("messages").GetArrayLength());
        Assert.Equal(1455, first.GetProperty("len").GetInt32());

        JsonElement last = Frame("d", 392);
        Assert.Equal(2, last.GetProperty("totempg").GetProperty("continuation").GetInt32());
        JsonElement message = Assert.Single(last.GetProperty("messages").EnumerateArray());
        Assert.Equal(3189, message.GetProperty("assembled").GetInt32());
        Assert.Equal("mcast", message.GetProperty("message").GetString());
        Assert.Equal(3000u, message.GetProperty("msglen").GetUInt32());
    }

    [Fact]
    public void Text_lines_summarise_the_same_frames()
    {
        DecodeRun run = DecodeRun.Args(CaptureFixtures.PcapPath("d-cpg-traffic"));
        string line171 = run.Lines.Single(l => l.StartsWith("#171 ", StringComparison.Ordinal));
        string line172 = run.Lines.Single(l => l.StartsWith("#172 ", StringComparison.Ordinal));
        Assert.Equal(
            "#171 1.890322 10.212.0.1:50004 -> 10.212.0.2:5405 mcast nodeid=1 ring=1.9 seq=18 | pg [199] | cpg.mcast group=fasttotem pid=11955 source_nodeid=1 msglen=10 data=AAAAAAAA\\x08\\x09 (254 B)",
            line171);
        Assert.EndsWith("mcast nodeid=1 ring=1.9 seq=18 copy (254 B)", line172, StringComparison.Ordinal);
    }

    [Fact]
    public void Ipv4_fragmented_1500_byte_recovery_mcast_decodes_as_one_datagram()
    {
        // Build the 1500-byte encapsulated mcast docs/wire-format.md §1.2 describes: f#1073's outer header around
        // d#388's full-size 1455-byte mcast. It goes out as two IPv4 fragments (1480 + 28 bytes of UDP).
        IReadOnlyList<CapturedDatagram> f = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath("f-retransmit-recovery"));
        IReadOnlyList<CapturedDatagram> d = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath("d-cpg-traffic"));
        byte[] outer = f.Single(x => x.Frame == 1073).Payload.AsSpan(0, 45).ToArray();
        byte[] inner = d.Single(x => x.Frame == 388).Payload;
        byte[] payload = [.. outer, .. inner];
        Assert.Equal(1500, payload.Length);
        List<byte[]> fragments = SyntheticCapture.Ipv4(
            IPAddress.Parse("10.212.0.2"), IPAddress.Parse("10.212.0.3"), 17, SyntheticCapture.Udp(35049, 5405, payload), fragmentPayloadMax: 1480);
        Assert.Equal(2, fragments.Count);
        byte[] capture = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [
                new(2_000_000_000, SyntheticCapture.Ethernet(0x0800, fragments[1])),
                new(2_000_000_100, SyntheticCapture.Ethernet(0x0800, fragments[0])),
            ]);

        DecodeRun run = DecodeRun.Bytes(capture, json: true);

        Assert.Equal(0, run.ExitCode);
        JsonElement e = Assert.Single(run.Json());
        Assert.Equal(2, e.GetProperty("frame").GetInt32());
        Assert.Equal(2, e.GetProperty("ip_fragments").GetInt32());
        Assert.Equal(1500, e.GetProperty("len").GetInt32());
        Assert.True(e.GetProperty("encapsulated").GetBoolean());
        AssertRing(e, 2, 13);
        JsonElement innerFields = e.GetProperty("inner");
        Assert.Equal(21u, innerFields.GetProperty("seq").GetUInt32());
        AssertRing(innerFields, 1, 9);
        Assert.Equal(1, innerFields.GetProperty("totempg").GetProperty("fragmented").GetInt32());
        Assert.Equal(1400, innerFields.GetProperty("totempg").GetProperty("buffered").GetInt32());
    }
}

public class DecodeForeignEndianTests
{
    [Theory]
    [InlineData("f-retransmit-recovery", 35)]
    [InlineData("b-third-node-joins", 44)]
    [InlineData("b-third-node-joins", 46)]
    [InlineData("a-2node-formation", 16)]
    public void Byte_swapped_twin_decodes_to_the_same_fields_and_says_so(string fixture, int frame)
    {
        byte[] native = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(fixture)).Single(d => d.Frame == frame).Payload;
        byte[] twin = FastTotem.Tests.Wire.ForeignEndianTwin.Build(native);
        Assert.NotEqual(native, twin);
        byte[] capture = SyntheticCapture.Pcap(LinkType.Ethernet, [new(0, Udp(native)), new(1000, Udp(twin))]);

        DecodeRun run = DecodeRun.Bytes(capture, json: true);

        Assert.Equal(0, run.ExitCode);
        List<JsonElement> lines = run.Json();
        Assert.False(lines[0].TryGetProperty("foreign_endian", out _));
        Assert.True(lines[1].GetProperty("foreign_endian").GetBoolean());
        foreach (JsonProperty property in lines[0].EnumerateObject())
        {
            if (property.Name is "frame" or "time")
            {
                continue;
            }

            Assert.Equal(property.Value.GetRawText(), lines[1].GetProperty(property.Name).GetRawText());
        }
    }

    private static byte[] Udp(byte[] payload) =>
        SyntheticCapture.Ethernet(
            0x0800,
            SyntheticCapture.Ipv4(IPAddress.Parse("10.212.0.1"), IPAddress.Parse("10.212.0.2"), 17, SyntheticCapture.Udp(5405, 5405, payload))[0]);
}

public class DecodeLongListTests
{
    [Fact]
    public void A_384_member_join_is_summarised_in_text_and_complete_in_json()
    {
        uint[] proc = Enumerable.Range(1, FastTotem.Wire.WireLimits.ProcessorCountMax).Select(i => (uint)i).ToArray();
        var join = new FastTotem.Wire.MembJoin
        {
            Header = new FastTotem.Wire.TotemHeader(FastTotem.Wire.MessageType.MembJoin, 7),
            SystemFrom = 7,
            RingSeq = 42,
        };
        byte[] datagram = new byte[FastTotem.Wire.MembJoinCodec.GetEncodedLength(proc.Length, 1)];
        Assert.Equal(FastTotem.Wire.WireError.None, FastTotem.Wire.MembJoinCodec.TryEncode(join, proc, [5u], datagram, out _));
        byte[] capture = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [new(0, SyntheticCapture.Ethernet(0x0800, SyntheticCapture.Ipv4(IPAddress.Parse("10.0.0.7"), IPAddress.Parse("10.0.0.1"), 17, SyntheticCapture.Udp(40000, 5405, datagram))[0]))]);

        DecodeRun text = DecodeRun.Bytes(capture, json: false);
        DecodeRun json = DecodeRun.Bytes(capture, json: true);

        Assert.Equal(0, text.ExitCode);
        string line = Assert.Single(text.Lines);
        Assert.Contains("proc=[1,2,3,4,5,6,7,8,...,383,384](384) failed=[5]", line, StringComparison.Ordinal);
        Assert.Equal(proc, json.Json()[0].GetProperty("proc").EnumerateArray().Select(e => e.GetUInt32()));
    }
}
