using FastTotem.Capture;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Tests.Wire;
using FastTotem.Wire;
using FastTotem.Wire.Knet;
using Xunit.Abstractions;

namespace FastTotem.Tests.Knet;

public sealed class KnetCodecTests(ITestOutputHelper output)
{
    [Fact]
    public void Struct_sizes_match_the_wire()
    {
        Assert.Equal(KnetHeader.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<KnetHeader>());
        Assert.Equal(KnetDataHeader.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<KnetDataHeader>());
        Assert.Equal(KnetPing.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<KnetPing>());
        Assert.Equal(KnetPmtud.HeaderSize, System.Runtime.CompilerServices.Unsafe.SizeOf<KnetPmtud>());
    }

    [Fact]
    public void Plain_capture_a_decodes_and_reencodes_byte_identical()
    {
        Dictionary<KnetPacketType, int> counts = DecodeAndReencode(KnetFixtures.Datagrams(KnetFixtures.Plain).Select(d => d.Payload));
        AssertIndexCounts(counts, ping: 104, pong: 93, pmtud: 4, pmtudReply: 4, data: 821);
    }

    [Fact]
    public void Decrypted_capture_b_decodes_and_reencodes_byte_identical()
    {
        using var crypto = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, KnetFixtures.Key(KnetFixtures.Aes256Sha256Key));
        var packets = new List<byte[]>();
        foreach (CapturedDatagram d in KnetFixtures.Datagrams(KnetFixtures.Aes256Sha256))
        {
            byte[] copy = (byte[])d.Payload.Clone();
            Assert.Equal(KnetCryptoStatus.Ok, crypto.OpenInPlace(copy, out int offset, out int length));
            packets.Add(copy.AsSpan(offset, length).ToArray());
        }

        Dictionary<KnetPacketType, int> counts = DecodeAndReencode(packets);
        AssertIndexCounts(counts, ping: 164, pong: 130, pmtud: 7, pmtudReply: 7, data: 1217);
    }

    [Fact]
    public void Worked_decode_a1_ping()
    {
        byte[] a1 = KnetFixtures.Datagrams(KnetFixtures.Plain)[0].Payload;
        Assert.Equal(WireError.None, KnetCodec.TryDecodePing(a1, out KnetPing ping));
        Assert.Equal(KnetPacketType.Ping, ping.Header.Type);
        Assert.Equal(1, ping.Header.HostId);
        Assert.Equal(0, ping.Link);
        Assert.Equal(1411, ping.TimeSeconds);
        Assert.Equal(484_380_788, ping.TimeNanoseconds);
        Assert.Equal(0, ping.Seq);
        Assert.Equal(1, ping.Timed);
    }

    [Fact]
    public void Worked_decodes_a21_probe_a22_reply_a26_commit_token_a408_fragment()
    {
        Dictionary<int, byte[]> byFrame = KnetFixtures.Datagrams(KnetFixtures.Plain).ToDictionary(d => d.Frame, d => d.Payload);

        Assert.Equal(WireError.None, KnetCodec.TryDecodePmtud(byFrame[21], out KnetPmtud probe, out int padding));
        Assert.Equal((KnetPacketType.Pmtud, (ushort)2, (byte)0, (ushort)1500, 1463), (probe.Header.Type, probe.Header.HostId, probe.Link, probe.Size, padding));
        Assert.Equal(WireError.None, KnetCodec.TryDecodePmtud(byFrame[22], out KnetPmtud reply, out padding));
        Assert.Equal((KnetPacketType.PmtudReply, (ushort)1, (ushort)1500, 0), (reply.Header.Type, reply.Header.HostId, reply.Size, padding));
        var built = new byte[16];
        Assert.Equal(WireError.None, KnetCodec.TryWritePmtudReply(byFrame[21], 1, built, out int written));
        Assert.Equal(byFrame[22], built.AsSpan(0, written).ToArray());

        Assert.Equal(WireError.None, KnetCodec.TryDecodeData(byFrame[26], out KnetDataHeader commit, out ReadOnlySpan<byte> user));
        Assert.Equal((ushort)1, commit.Header.HostId);
        Assert.Equal((ushort)2, commit.Seq);
        Assert.Equal((byte)0, commit.Broadcast);
        Assert.Equal(((byte)1, (byte)0, (sbyte)0), (commit.FragmentCount, commit.FragmentSeq, commit.Channel));
        Assert.Equal(97, user.Length);
        Assert.Equal(0x70, user[0]);

        Assert.Equal(WireError.None, KnetCodec.TryDecodeData(byFrame[408], out KnetDataHeader first, out user));
        Assert.Equal(((ushort)181, (byte)1, (byte)4, (byte)1, 1446), (first.Seq, first.Broadcast, first.FragmentCount, first.FragmentSeq, user.Length));
        Assert.Equal(WireError.None, KnetCodec.TryDecodeData(byFrame[411], out KnetDataHeader last, out user));
        Assert.Equal(((ushort)181, (byte)4, 906), (last.Seq, last.FragmentSeq, user.Length));
    }

    [Fact]
    public void Every_pong_of_capture_a_is_the_pong_built_from_a_captured_ping()
    {
        List<CapturedDatagram> all = KnetFixtures.Datagrams(KnetFixtures.Plain);
        var pings = all.Where(d => d.Payload[1] == (byte)KnetPacketType.Ping).ToList();
        int matched = 0;
        var built = new byte[KnetPing.Size];
        foreach (CapturedDatagram pong in all.Where(d => d.Payload[1] == (byte)KnetPacketType.Pong))
        {
            Assert.Equal(WireError.None, KnetCodec.TryReadHeader(pong.Payload, out KnetHeader header));
            CapturedDatagram ping = pings.First(p => p.Payload.AsSpan(7, 16).SequenceEqual(pong.Payload.AsSpan(7, 16)));
            Assert.Equal(WireError.None, KnetCodec.TryWritePong(ping.Payload, header.HostId, built, out int written));
            Assert.Equal(pong.Payload, built.AsSpan(0, written).ToArray());
            matched++;
        }

        Assert.Equal(93, matched);
    }

    [Theory]
    [InlineData("01 81 00 01 00 00", WireError.Truncated)]
    [InlineData("02 81 00 01 00 00 00", WireError.BadVersion)]
    [InlineData("01 85 00 01 00 00 00", WireError.UnknownType)]
    [InlineData("01 01 00 01 00 00 00", WireError.UnknownType)]
    public void Bad_headers_are_reported(string hex, object expectedArg)
    {
        WireError expected = (WireError)expectedArg;
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(expected, KnetCodec.TryReadHeader(bytes, out _));
    }

    [Theory]
    [InlineData("01 00 00 01 00 00 00 01 00 00 01 01", WireError.Truncated)] // 12 bytes
    [InlineData("01 00 00 01 00 00 00 01 00 00 01 00 00 00 70", WireError.BadFragment)] // frag_num 0
    [InlineData("01 00 00 01 00 00 00 01 00 00 01 03 00 00 70", WireError.BadFragment)] // frag 0 of 3
    [InlineData("01 00 00 01 00 00 00 01 00 00 01 03 04 00 70", WireError.BadFragment)] // frag 4 of 3
    [InlineData("01 00 00 01 00 00 00 01 00 00 01 03 03 00 70", WireError.None)]
    [InlineData("01 81 00 01 00 00 00 01 00 00 01 03 03 00 70", WireError.UnknownType)] // a PING is not DATA
    public void Data_checks(string hex, object expectedArg)
    {
        WireError expected = (WireError)expectedArg;
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(expected, KnetCodec.TryDecodeData(bytes, out _, out _));
    }

    [Fact]
    public void Ping_and_pmtud_lengths_are_checked()
    {
        byte[] ping = new byte[25];
        ping[0] = 1;
        ping[1] = (byte)KnetPacketType.Ping;
        Assert.Equal(WireError.Truncated, KnetCodec.TryDecodePing(ping, out _));
        Assert.Equal(WireError.Truncated, KnetCodec.TryWritePong(ping, 1, new byte[26], out _));
        byte[] probe = new byte[8];
        probe[0] = 1;
        probe[1] = (byte)KnetPacketType.Pmtud;
        Assert.Equal(WireError.Truncated, KnetCodec.TryDecodePmtud(probe, out _, out _));
        Assert.Equal(WireError.DestinationTooSmall, KnetCodec.TryEncodeData(default, new byte[10], new byte[20], out _));
    }

    [Fact]
    public void Codec_allocates_nothing()
    {
        Dictionary<int, byte[]> byFrame = KnetFixtures.Datagrams(KnetFixtures.Plain).ToDictionary(d => d.Frame, d => d.Payload);
        var state = (Data: byFrame[408], Ping: byFrame[1], Probe: byFrame[21], Output: new byte[1500]);
        ZeroAllocation.Assert(state, static s =>
        {
            if (KnetCodec.TryDecodeData(s.Data, out KnetDataHeader data, out ReadOnlySpan<byte> user) != WireError.None
                || KnetCodec.TryEncodeData(data, user, s.Output, out _) != WireError.None
                || KnetCodec.TryDecodePing(s.Ping, out KnetPing ping) != WireError.None
                || KnetCodec.TryEncodePing(ping, s.Output, out _) != WireError.None
                || KnetCodec.TryWritePong(s.Ping, 2, s.Output, out _) != WireError.None
                || KnetCodec.TryDecodePmtud(s.Probe, out KnetPmtud probe, out int padding) != WireError.None
                || KnetCodec.TryEncodePmtud(probe, KnetPmtud.HeaderSize + padding, s.Output, out _) != WireError.None
                || KnetCodec.TryWritePmtudReply(s.Probe, 1, s.Output, out _) != WireError.None)
            {
                throw new InvalidOperationException("codec round trip failed");
            }
        });
    }

    [Fact]
    public void Random_and_mutated_bytes_never_throw()
    {
        int seed = TestSeed.Pick(output, $"{nameof(Random_and_mutated_bytes_never_throw)}");
        var random = new Random(seed);
        List<CapturedDatagram> samples = KnetFixtures.Datagrams(KnetFixtures.Plain);
        var scratch = new byte[70000];
        for (int i = 0; i < 20000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
                if (bytes.Length > 1 && random.Next(2) == 0)
                {
                    bytes[0] = 1;
                }
            }
            else
            {
                bytes = (byte[])samples[random.Next(samples.Count)].Payload.Clone();
                int flips = random.Next(1, 4);
                for (int f = 0; f < flips && bytes.Length > 0; f++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                bytes = bytes.AsSpan(0, random.Next(0, bytes.Length + 1)).ToArray();
            }

            KnetCodec.TryReadHeader(bytes, out _);
            if (KnetCodec.TryDecodeData(bytes, out KnetDataHeader data, out ReadOnlySpan<byte> user) == WireError.None)
            {
                Assert.Equal(bytes.Length - KnetDataHeader.Size, user.Length);
                Assert.True(data.FragmentCount >= 1);
            }

            KnetCodec.TryDecodePing(bytes, out _);
            KnetCodec.TryDecodePmtud(bytes, out _, out _);
            KnetCodec.TryWritePong(bytes, 7, scratch, out _);
            KnetCodec.TryWritePmtudReply(bytes, 7, scratch, out _);
        }
    }

    /// <summary>Packets per type, as INDEX.md's "Frames per type" table gives them.</summary>
    private static void AssertIndexCounts(Dictionary<KnetPacketType, int> counts, int ping, int pong, int pmtud, int pmtudReply, int data) =>
        Assert.Equal(
            (ping, pong, pmtud, pmtudReply, data),
            (counts[KnetPacketType.Ping], counts[KnetPacketType.Pong], counts[KnetPacketType.Pmtud], counts[KnetPacketType.PmtudReply], counts[KnetPacketType.Data]));

    /// <summary>Decodes each cleartext packet by type, encodes it back and requires the same bytes; returns counts per type.</summary>
    private static Dictionary<KnetPacketType, int> DecodeAndReencode(IEnumerable<byte[]> packets)
    {
        var counts = new Dictionary<KnetPacketType, int>();
        var buffer = new byte[70000];
        foreach (byte[] packet in packets)
        {
            Assert.Equal(WireError.None, KnetCodec.TryReadHeader(packet, out KnetHeader header));
            int written;
            switch (header.Type)
            {
                case KnetPacketType.Data:
                    Assert.Equal(WireError.None, KnetCodec.TryDecodeData(packet, out KnetDataHeader data, out ReadOnlySpan<byte> user));
                    Assert.Equal(WireError.None, KnetCodec.TryEncodeData(data, user, buffer, out written));
                    break;
                case KnetPacketType.Ping:
                case KnetPacketType.Pong:
                    Assert.Equal(WireError.None, KnetCodec.TryDecodePing(packet, out KnetPing ping));
                    Assert.Equal(WireError.None, KnetCodec.TryEncodePing(ping, buffer, out written));
                    break;
                default:
                    Assert.Equal(WireError.None, KnetCodec.TryDecodePmtud(packet, out KnetPmtud pmtud, out int padding));
                    Assert.Equal(WireError.None, KnetCodec.TryEncodePmtud(pmtud, KnetPmtud.HeaderSize + padding, buffer, out written));
                    break;
            }

            Assert.True(packet.AsSpan().SequenceEqual(buffer.AsSpan(0, written)), $"{header.Type} differs after re-encode");
            counts[header.Type] = counts.GetValueOrDefault(header.Type) + 1;
        }

        return counts;
    }
}
