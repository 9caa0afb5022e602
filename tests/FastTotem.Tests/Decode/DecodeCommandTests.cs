using System.Net;
using System.Text.Json;
using FastTotem.Capture;
using FastTotem.Tests.Capture;

namespace FastTotem.Tests.Decode;

public class DecodeCommandTests
{
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
    public void Every_fixture_decodes_fully_one_line_per_totem_datagram(string name)
    {
        int expected = CaptureFixtures.ReadDecodedUdpLines(name).Count;

        // ICMP errors about port 5405 get lines of their own (type icmp); this test is about the Totem lines.
        DecodeRun text = DecodeRun.Args(CaptureFixtures.PcapPath(name)).WithoutIcmp();
        DecodeRun json = DecodeRun.Args(CaptureFixtures.PcapPath(name), "--json").WithoutIcmp();

        Assert.Equal(0, text.ExitCode);
        Assert.Equal(0, json.ExitCode);
        Assert.Equal(expected, text.Lines.Length);
        Assert.Equal(expected, json.Lines.Length);
        Assert.Contains($"{expected} decoded, 0 undecodable", text.Error, StringComparison.Ordinal);
        List<JsonElement> elements = json.Json();
        List<CaptureFixtures.DecodedUdpLine> decoded = CaptureFixtures.ReadDecodedUdpLines(name);
        for (int i = 0; i < elements.Count; i++)
        {
            JsonElement e = elements[i];
            Assert.False(e.TryGetProperty("error", out _), json.Lines[i]);
            Assert.Equal(decoded[i].Frame, e.GetProperty("frame").GetInt32());
            Assert.Equal($"{decoded[i].Source}:{decoded[i].SourcePort}", e.GetProperty("src").GetString());
            Assert.Equal($"{decoded[i].Destination}:{decoded[i].DestinationPort}", e.GetProperty("dst").GetString());
            Assert.Equal(decoded[i].Time, e.GetProperty("time").GetDouble(), 6);
            Assert.StartsWith($"#{decoded[i].Frame} ", text.Lines[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Other_port_finds_nothing_and_exits_zero()
    {
        DecodeRun run = DecodeRun.Args(CaptureFixtures.PcapPath("g-node3-graceful-leave"), "--port", "5404");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Lines);
        Assert.Contains("0 Totem datagrams on port 5404", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_exits_2_with_a_message()
    {
        DecodeRun run = DecodeRun.Args("/nonexistent/capture.pcap");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Lines);
        Assert.Contains("cannot read /nonexistent/capture.pcap", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_a_capture_exits_2_with_a_message()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fasttotem-decode-{Environment.ProcessId}.txt");
        File.WriteAllText(path, "this is not a capture file");
        try
        {
            DecodeRun run = DecodeRun.Args(path);

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("not a pcap or pcapng file", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(new string[0], "no capture file given")]
    [InlineData(new[] { "x.pcap", "--frobnicate" }, "unknown option '--frobnicate'")]
    [InlineData(new[] { "x.pcap", "--port" }, "--port needs a value")]
    [InlineData(new[] { "x.pcap", "--port", "70000" }, "is not a UDP port")]
    [InlineData(new[] { "x.pcap", "--port=abc" }, "is not a UDP port")]
    [InlineData(new[] { "x.pcap", "y.pcap" }, "only one capture file")]
    public void Bad_arguments_exit_2_with_usage(string[] args, string message)
    {
        DecodeRun run = DecodeRun.Args(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.Contains("usage: fasttotem decode", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Port_option_in_both_spellings_is_accepted()
    {
        Assert.True(DecodeOptions.TryParse(["--port=5000", "f.pcap", "--json"], out DecodeOptions? a, out _));
        Assert.True(DecodeOptions.TryParse(["f.pcap", "--port", "6000"], out DecodeOptions? b, out _));
        Assert.Equal(new DecodeOptions("f.pcap", 5000, true), a);
        Assert.Equal(new DecodeOptions("f.pcap", 6000, false), b);
    }

    [Fact]
    public void Corrupt_datagram_gets_an_error_line_and_exit_1()
    {
        IReadOnlyList<CapturedDatagram> fixture = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath("a-2node-formation"));
        byte[] good = fixture[0].Payload;
        byte[] badMagic = (byte[])good.Clone();
        badMagic[0] = 0x12;
        byte[] truncated = good.AsSpan(0, 9).ToArray();
        byte[] capture = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [
                new(1_000_000_000, Udp(good)),
                new(1_000_500_000, Udp(badMagic)),
                new(1_001_000_000, Udp(truncated)),
            ]);

        DecodeRun json = DecodeRun.Bytes(capture, json: true);
        DecodeRun text = DecodeRun.Bytes(capture, json: false);

        Assert.Equal(1, json.ExitCode);
        Assert.Equal(1, text.ExitCode);
        List<JsonElement> lines = json.Json();
        Assert.Equal(3, lines.Count);
        Assert.False(lines[0].TryGetProperty("error", out _));
        Assert.Equal("BadMagic", lines[1].GetProperty("error").GetString());
        Assert.Equal("Truncated", lines[2].GetProperty("error").GetString());
        Assert.Equal(0.0005, lines[1].GetProperty("time").GetDouble(), 6);
        Assert.Contains("error=BadMagic", text.Lines[1], StringComparison.Ordinal);
        Assert.Contains("3 Totem datagrams", json.Error, StringComparison.Ordinal);
        Assert.Contains("1 decoded, 2 undecodable", json.Error, StringComparison.Ordinal);
    }

    private static byte[] Udp(byte[] payload) =>
        SyntheticCapture.Ethernet(
            0x0800,
            SyntheticCapture.Ipv4(
                IPAddress.Parse("10.212.0.1"), IPAddress.Parse("10.212.0.2"), 17, SyntheticCapture.Udp(40000, 5405, payload))[0]);
}
