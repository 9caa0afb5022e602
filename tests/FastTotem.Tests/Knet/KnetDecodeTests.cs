using System.Net;
using System.Text.Json;
using FastTotem.Capture;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Tests.Capture;
using FastTotem.Tests.Decode;
using FastTotem.Tests.Wire;
using FastTotem.Wire;
using FastTotem.Wire.Knet;
using Xunit.Abstractions;

namespace FastTotem.Tests.Knet;

/// <summary><c>fasttotem decode</c> on the corosync 3.1.7 knet captures, compared with INDEX.md's tables and crypto-sweep/summary.txt.</summary>
public sealed class KnetDecodeTests(ITestOutputHelper output)
{
    private static readonly string[] TotemTypes = ["orf_token", "mcast", "join", "commit_token", "merge_detect", "token_hold_cancel"];

    /// <summary>Each capture with its key (or null). Every capture of the fixture folder is here.</summary>
    public static TheoryData<string, string?> Captures()
    {
        var data = new TheoryData<string, string?>
        {
            { KnetFixtures.Plain, null },
            { KnetFixtures.Aes256Sha256, KnetFixtures.Aes256Sha256Key },
            { "peer-check/p1-aes256-sha256-peer-answers.pcap", KnetFixtures.PeerCheckKey },
            { "peer-check/p2-plain-peer-ignores-pmtud.pcap", null },
            { "crypto-sweep/none-none-zlib.pcap", KnetFixtures.SweepKey },
        };
        foreach ((string file, _, _) in KnetFixtures.Sweep)
        {
            data.Add(file, KnetFixtures.SweepKey);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_packet_decodes_without_error(string capture, string? key)
    {
        DecodeRun run = Decode(capture, key, json: true);
        List<JsonElement> lines = run.Json();
        Assert.NotEmpty(lines);
        foreach (JsonElement line in lines)
        {
            Assert.False(line.TryGetProperty("error", out JsonElement error), $"{capture}#{line.GetProperty("frame")}: {error}");
        }

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("crypto verified", run.Error, StringComparison.Ordinal);
        Assert.Contains("clear", run.Error, StringComparison.Ordinal);
        Assert.EndsWith(" 0 undecodable", run.Error.Split('\n').First(l => l.StartsWith("fasttotem decode: knet:", StringComparison.Ordinal)).TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_peers_filler_message_is_shown_as_opaque_bytes_of_no_group()
    {
        // p1#59 completes the test peer's 3055-byte mcast: a whole Totem mcast (totempg: one message of 3000 bytes, the
        // lengths add up), but the 3000 bytes are the letter x, with no group header: as one it would claim 0x7878
        // groups. No totempg group takes such a message; the decoder says so without calling the datagram undecodable.
        DecodeRun run = Decode("peer-check/p1-aes256-sha256-peer-answers.pcap", KnetFixtures.PeerCheckKey, json: true);
        JsonElement line = run.Json().Single(l => l.GetProperty("frame").GetInt32() == 59);
        Assert.Equal("mcast", line.GetProperty("type").GetString());
        Assert.Equal(3055, line.GetProperty("knet").GetProperty("payload_len").GetInt32());
        JsonElement message = line.GetProperty("messages").EnumerateArray().Single();
        Assert.Equal("opaque", message.GetProperty("service").GetString());
        Assert.Equal("no totempg group header (CountBeyondPacket: group_count 30840 in 3000 B)", message.GetProperty("opaque").GetString());
        Assert.Equal(string.Concat(Enumerable.Repeat("78", 16)), message.GetProperty("head").GetString());
        Assert.Equal(3000, message.GetProperty("len").GetInt32());
        Assert.False(message.TryGetProperty("error", out _));

        string text = DecodeRun.Args(KnetFixtures.PathOf("peer-check/p1-aes256-sha256-peer-answers.pcap"), "--authkey", KnetFixtures.PathOf(KnetFixtures.PeerCheckKey))
            .Lines.Single(l => l.StartsWith("#59 ", StringComparison.Ordinal));
        Assert.Contains("| pg [3000] | opaque opaque=", text, StringComparison.Ordinal);
        Assert.DoesNotContain("error", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Capture_a_counts_equal_index_md()
    {
        Counts counts = Count(Decode(KnetFixtures.Plain, null, json: true));
        Assert.Equal((104, 93, 4, 4, 821, 764, 64, 12), (counts.Ping, counts.Pong, counts.Pmtud, counts.PmtudReply, counts.Data, counts.Payloads, counts.Fragments, counts.Icmp));
        Assert.Equal([660, 23, 4, 4, 66, 7], TotemTypes.Select(t => counts.Totem.GetValueOrDefault(t)));
        Assert.Equal(1026, counts.Clear);
    }

    [Fact]
    public void Capture_b_counts_equal_index_md()
    {
        Counts counts = Count(Decode(KnetFixtures.Aes256Sha256, KnetFixtures.Aes256Sha256Key, json: true));
        Assert.Equal((164, 130, 7, 7, 1217, 1197, 34, 35), (counts.Ping, counts.Pong, counts.Pmtud, counts.PmtudReply, counts.Data, counts.Payloads, counts.Fragments, counts.Icmp));
        Assert.Equal([869, 52, 193, 10, 61, 12], TotemTypes.Select(t => counts.Totem.GetValueOrDefault(t)));
        Assert.Equal(1525, counts.Crypto["aes256/sha256"]);
    }

    public static TheoryData<string> SweepFiles()
    {
        var data = new TheoryData<string> { "crypto-sweep/none-none-zlib.pcap" };
        foreach ((string file, _, _) in KnetFixtures.Sweep)
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SweepFiles))]
    public void Crypto_sweep_counts_equal_summary_txt(string capture)
    {
        Dictionary<string, int> expected = KnetFixtures.SweepSummary(Path.GetFileName(capture));
        Counts counts = Count(Decode(capture, KnetFixtures.SweepKey, json: true));
        Assert.Equal(
            (expected["knet DATA"], expected["PING"], expected["PONG"], expected["PMTUD"], expected["PMTUD_REPLY"], expected["fragment packets"], expected["complete payloads"], expected["compressed"], expected["ICMP"]),
            (counts.Data, counts.Ping, counts.Pong, counts.Pmtud, counts.PmtudReply, counts.Fragments, counts.Payloads, counts.Compressed, counts.Icmp));
        (string summaryName, string ours)[] names =
            [("orf_token", "orf_token"), ("mcast", "mcast"), ("memb_join", "join"), ("memb_commit_token", "commit_token"), ("memb_merge_detect", "merge_detect"), ("token_hold_cancel", "token_hold_cancel")];
        foreach ((string summaryName, string ours) in names)
        {
            Assert.True(expected.GetValueOrDefault(summaryName) == counts.Totem.GetValueOrDefault(ours), $"{capture}: {summaryName} {expected.GetValueOrDefault(summaryName)} vs {counts.Totem.GetValueOrDefault(ours)}");
        }

        Assert.Equal(expected["crypto verified"], counts.Crypto.Where(c => c.Key != "none").Sum(c => c.Value));
        Assert.Equal(expected["clear"], counts.Crypto.GetValueOrDefault("none"));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_totem_datagram_inside_reencodes_byte_identical(string capture, string? key)
    {
        CaptureContents contents = CaptureFile.Read(KnetFixtures.PathOf(capture));
        var decoder = new TotemCaptureDecoder(contents.FirstFrameTimestampNs);
        if (key is not null)
        {
            decoder.AddAuthKey(KnetFixtures.Key(key));
        }

        int payloads = 0;
        decoder.KnetPayloadObserver = (datagram, payload) =>
        {
            payloads++;
            Assert.True(payload.AsSpan().SequenceEqual(SrpText.ReEncode(payload)), $"{capture}#{datagram.Frame}: Totem re-encode differs");
        };
        foreach (CapturedDatagram datagram in contents.Datagrams)
        {
            decoder.Decode(datagram);
        }

        Assert.True(payloads > 0);
        Assert.Equal(decoder.Knet.Payloads, payloads);
    }

    [Fact]
    public void Text_line_of_a_fragmented_mcast_shows_the_knet_layer_then_totem()
    {
        DecodeRun run = Decode(KnetFixtures.Plain, null, json: false);
        Assert.Equal(
            "#408 12.005251 10.231.0.1:5405 -> 10.231.0.2:5405 knet_fragment [knet data host=1 seq=181 bcast=1 frag=1/4 crypto=none] (1460 B)",
            run.Lines.Single(l => l.StartsWith("#408 ", StringComparison.Ordinal)));
        string last = run.Lines.Single(l => l.StartsWith("#411 ", StringComparison.Ordinal));
        Assert.StartsWith("#411 12.005355 10.231.0.1:5405 -> 10.231.0.2:5405 mcast [knet data host=1 seq=181 bcast=1 frag=4/4 payload_len=5244 crypto=none] nodeid=1 ring=1.9 seq=14 | pg [5189] | cpg.mcast", last, StringComparison.Ordinal);
        Assert.Equal(
            "#2 0.000030 10.231.0.2 -> 10.231.0.1 icmp icmp_type=3 icmp_code=3 reason=port_unreachable about=10.231.0.1:5405->10.231.0.2:5405 (0 B)",
            run.Lines[1]);
    }

    [Fact]
    public void Ipv6_knet_on_link_1_port_with_icmp6_and_a_sealed_fragmented_data_packet()
    {
        IPAddress a = IPAddress.Parse("fd00::1");
        IPAddress b = IPAddress.Parse("fd00::2");
        byte[] key = KnetFixtures.Key(KnetFixtures.Aes256Sha256Key);
        using var crypto = new KnetCrypto(KnetCipher.Aes192, KnetHash.Sha512, key);
        byte[] Seal(byte[] packet)
        {
            var sealedBytes = new byte[crypto.SealedLength(packet.Length)];
            Assert.Equal(KnetCryptoStatus.Ok, crypto.Seal(packet, sealedBytes, out _));
            return sealedBytes;
        }

        var ping = new byte[KnetPing.Size];
        KnetCodec.TryEncodePing(new KnetPing { Header = new KnetHeader(KnetPacketType.Ping, 1), Link = 1, TimeSeconds = 5, Seq = 0, Timed = 1 }, ping, out _);
        var pong = new byte[KnetPing.Size];
        KnetCodec.TryWritePong(ping, 2, pong, out _);

        // One Totem merge_detect of capture a, cut into two knet fragments of 20 + rest bytes.
        byte[] totem = KnetFixtures.Datagrams(KnetFixtures.Plain).First(d => d.Frame == 23).Payload.AsSpan(KnetDataHeader.Size).ToArray();
        byte[] Fragment(byte number, ReadOnlySpan<byte> part)
        {
            var header = new KnetDataHeader { Header = new KnetHeader(KnetPacketType.Data, 1), Seq = 77, Broadcast = 1, FragmentCount = 2, FragmentSeq = number };
            var packet = new byte[KnetDataHeader.Size + part.Length];
            Assert.Equal(WireError.None, KnetCodec.TryEncodeData(header, part, packet, out _));
            return packet;
        }

        byte[] Frame(IPAddress from, IPAddress to, int nextHeader, byte[] body) =>
            SyntheticCapture.Ethernet(0x86DD, SyntheticCapture.Ipv6(from, to, nextHeader, body)[0]);

        byte[] pingUdp = SyntheticCapture.Udp(5406, 5406, Seal(ping));
        byte[] quoted = SyntheticCapture.Ipv6(a, b, 17, pingUdp)[0];
        byte[] icmp6 = [1, 4, 0, 0, 0, 0, 0, 0, .. quoted];
        byte[] capture = SyntheticCapture.Pcap(
            LinkType.Ethernet,
            [
                new(1_000_000_000, Frame(a, b, 17, pingUdp)),
                new(1_000_100_000, Frame(b, a, 58, icmp6)),
                new(1_000_200_000, Frame(b, a, 17, SyntheticCapture.Udp(5406, 5406, Seal(pong)))),
                new(1_000_300_000, Frame(a, b, 17, SyntheticCapture.Udp(5406, 5406, Seal(Fragment(2, totem.AsSpan(20)))))),
                new(1_000_400_000, Frame(a, b, 17, SyntheticCapture.Udp(5406, 5406, Seal(Fragment(1, totem.AsSpan(0, 20)))))),
            ]);
        string capturePath = Path.Combine(Path.GetTempPath(), $"fasttotem-knet-v6-{Environment.ProcessId}.pcap");
        File.WriteAllBytes(capturePath, capture);
        try
        {
            DecodeRun run = DecodeRun.Args(capturePath, "--json", "--authkey", KnetFixtures.PathOf(KnetFixtures.Aes256Sha256Key));
            Assert.Equal(0, run.ExitCode);
            List<JsonElement> lines = run.Json();
            Assert.Equal(["knet_ping", "icmp6", "knet_pong", "knet_fragment", "merge_detect"], lines.Select(l => l.GetProperty("type").GetString()));
            Assert.Equal("[fd00::1]:5406", lines[0].GetProperty("src").GetString());
            Assert.Equal(1, lines[0].GetProperty("knet").GetProperty("link").GetInt32());
            Assert.Equal("aes192/sha512", lines[0].GetProperty("knet").GetProperty("crypto").GetString());
            Assert.Equal("port_unreachable", lines[1].GetProperty("reason").GetString());
            Assert.Equal("[fd00::1]:5406->[fd00::2]:5406", lines[1].GetProperty("about").GetString());
            Assert.Equal(2, lines[2].GetProperty("knet").GetProperty("host").GetInt32());
            Assert.Equal("1/2", lines[4].GetProperty("knet").GetProperty("frag").GetString());
            Assert.Equal(totem.Length, lines[4].GetProperty("knet").GetProperty("payload_len").GetInt32());
            Assert.Equal(2, lines[4].GetProperty("nodeid").GetInt32());
        }
        finally
        {
            File.Delete(capturePath);
        }
    }

    [Fact]
    public void Two_authkeys_are_tried_in_turn_and_the_line_says_which_matched()
    {
        DecodeRun run = DecodeRun.Args(
            KnetFixtures.PathOf(KnetFixtures.Aes256Sha256), "--json",
            "--authkey", KnetFixtures.PathOf(KnetFixtures.SweepKey),
            "--authkey", KnetFixtures.PathOf(KnetFixtures.Aes256Sha256Key));
        Assert.Equal(0, run.ExitCode);
        JsonElement first = run.Json()[0];
        Assert.Equal(2, first.GetProperty("knet").GetProperty("key").GetInt32());
        Assert.Equal("aes256/sha256", first.GetProperty("knet").GetProperty("crypto").GetString());
    }

    [Fact]
    public void Wrong_authkey_gives_crypto_error_lines_and_exit_1()
    {
        DecodeRun run = Decode(KnetFixtures.Aes256Sha256, KnetFixtures.SweepKey, json: true);
        Assert.Equal(1, run.ExitCode);
        List<JsonElement> lines = run.Json();
        JsonElement first = lines[0];
        Assert.Equal("knet_crypto", first.GetProperty("error_at").GetString());
        Assert.Equal("failed", first.GetProperty("knet").GetProperty("crypto").GetString());
        Assert.Equal(1525, lines.Count(l => l.TryGetProperty("error_at", out JsonElement at) && at.GetString() == "knet_crypto"));
        Assert.Contains("failed 1525", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Sealed_capture_without_a_key_is_not_mistaken_for_knet_or_totem_silently()
    {
        DecodeRun run = Decode(KnetFixtures.Aes256Sha256, null, json: true);
        Assert.Equal(1, run.ExitCode);
        Assert.All(run.Json().Where(l => l.GetProperty("type").GetString() != "icmp"), l => Assert.True(l.TryGetProperty("error", out _)));
    }

    [Fact]
    public void Short_authkey_is_refused_with_exit_2()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fasttotem-short-authkey-{Environment.ProcessId}");
        File.WriteAllBytes(path, new byte[127]);
        try
        {
            DecodeRun run = DecodeRun.Args(KnetFixtures.PathOf(KnetFixtures.Plain), "--authkey", path);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("has 127 bytes", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Options_take_port_lists_and_at_most_two_authkeys()
    {
        Assert.True(DecodeOptions.TryParse(["f.pcap", "--port", "5405,5406", "--port=6000"], out DecodeOptions? options, out _));
        Assert.Equal([5405, 5406, 6000], options!.Ports);
        Assert.True(DecodeOptions.TryParse(["f.pcap"], out options, out _));
        Assert.Equal(Enumerable.Range(5405, 8), options!.Ports);
        Assert.True(DecodeOptions.TryParse(["f.pcap", "--authkey", "k1", "--authkey=k2"], out options, out _));
        Assert.Equal(["k1", "k2"], options!.AuthKeyPaths!);
        Assert.False(DecodeOptions.TryParse(["f.pcap", "--authkey", "k1", "--authkey", "k2", "--authkey", "k3"], out _, out string? error));
        Assert.Contains("at most 2", error, StringComparison.Ordinal);
        Assert.False(DecodeOptions.TryParse(["f.pcap", "--authkey"], out _, out error));
        Assert.Contains("--authkey needs a file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Port_list_restricts_what_is_decoded()
    {
        DecodeRun run = DecodeRun.Args(KnetFixtures.PathOf(KnetFixtures.Plain), "--port", "5406,5407");
        Assert.Empty(run.Lines);
        Assert.Contains("0 Totem datagrams on ports 5406-5407", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_and_mutated_knet_datagrams_never_throw()
    {
        int seed = TestSeed.Pick(output, $"{nameof(Random_and_mutated_knet_datagrams_never_throw)}");
        var random = new Random(seed);
        var samples = new List<byte[]>();
        samples.AddRange(KnetFixtures.Datagrams(KnetFixtures.Plain).Select(d => d.Payload));
        samples.AddRange(KnetFixtures.Datagrams(KnetFixtures.Aes256Sha256).Take(300).Select(d => d.Payload));
        samples.AddRange(KnetFixtures.Datagrams("crypto-sweep/none-none-zlib.pcap").Select(d => d.Payload));
        foreach (bool withKey in new[] { false, true })
        {
            var decoder = new TotemCaptureDecoder(0);
            if (withKey)
            {
                decoder.AddAuthKey(KnetFixtures.Key(KnetFixtures.Aes256Sha256Key));
            }

            for (int i = 0; i < (withKey ? 1500 : 20000); i++)
            {
                byte[] bytes = Mutate(random, samples);
                var datagram = new CapturedDatagram(i + 1, i, IPAddress.Loopback, 5405, IPAddress.Loopback, 5405, bytes);
                DecodedFields fields = decoder.Decode(datagram);
                Assert.NotNull(fields["type"]);
                _ = DecodeJsonFormatter.Format(fields);
                _ = DecodeTextFormatter.Format(fields);
            }

            decoder.FinishKnet();
        }
    }

    /// <summary>A knet-shaped datagram: random bytes behind a knet header, or a captured one with bytes changed, cut or fragment fields forged.</summary>
    private static byte[] Mutate(Random random, List<byte[]> samples)
    {
        byte[] bytes;
        switch (random.Next(3))
        {
            case 0:
                bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
                if (bytes.Length >= 2)
                {
                    bytes[0] = 1;
                    bytes[1] = (new byte[] { 0x00, 0x81, 0x82, 0x83, 0x84 })[random.Next(5)];
                }

                break;
            case 1:
                bytes = (byte[])samples[random.Next(samples.Count)].Clone();
                for (int f = random.Next(1, 4); f > 0 && bytes.Length > 0; f--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                bytes = bytes.AsSpan(0, random.Next(0, bytes.Length + 1)).ToArray();
                break;
            default:
                // A DATA packet with forged fragment numbers, seq and compress byte around a random payload.
                bytes = new byte[KnetDataHeader.Size + random.Next(0, 300)];
                random.NextBytes(bytes);
                bytes[0] = 1;
                bytes[1] = 0;
                bytes[6] = 0;
                bytes[7] = (byte)random.Next(4);
                bytes[8] = (byte)random.Next(3);
                bytes[11] = (byte)random.Next(0, 5);
                bytes[12] = (byte)random.Next(0, 6);
                break;
        }

        return bytes;
    }

    private static DecodeRun Decode(string capture, string? key, bool json)
    {
        var args = new List<string> { KnetFixtures.PathOf(capture) };
        if (json)
        {
            args.Add("--json");
        }

        if (key is not null)
        {
            args.Add("--authkey");
            args.Add(KnetFixtures.PathOf(key));
        }

        return DecodeRun.Args([.. args]);
    }

    private sealed class Counts
    {
        public int Ping, Pong, Pmtud, PmtudReply, Data, Payloads, Fragments, Compressed, Icmp, Clear;
        public Dictionary<string, int> Totem { get; } = new();
        public Dictionary<string, int> Crypto { get; } = new();
    }

    private static Counts Count(DecodeRun run)
    {
        var counts = new Counts();
        foreach (JsonElement line in run.Json())
        {
            string type = line.GetProperty("type").GetString()!;
            if (type == "icmp")
            {
                counts.Icmp++;
                continue;
            }

            JsonElement knet = line.GetProperty("knet");
            string crypto = knet.GetProperty("crypto").GetString()!;
            counts.Crypto[crypto] = counts.Crypto.GetValueOrDefault(crypto) + 1;
            counts.Clear += crypto == "none" ? 1 : 0;
            switch (knet.GetProperty("type").GetString())
            {
                case "ping": counts.Ping++; break;
                case "pong": counts.Pong++; break;
                case "pmtud": counts.Pmtud++; break;
                case "pmtud_reply": counts.PmtudReply++; break;
                case "data":
                    counts.Data++;
                    counts.Fragments += knet.TryGetProperty("frag", out _) ? 1 : 0;
                    if (type != "knet_fragment")
                    {
                        counts.Payloads++;
                        counts.Compressed += knet.TryGetProperty("compress", out _) ? 1 : 0;
                        counts.Totem[type] = counts.Totem.GetValueOrDefault(type) + 1;
                    }

                    break;
            }
        }

        return counts;
    }
}
