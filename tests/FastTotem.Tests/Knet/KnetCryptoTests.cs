using FastTotem.Capture;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Tests.Wire;
using FastTotem.Wire;
using FastTotem.Wire.Knet;
using Xunit.Abstractions;

namespace FastTotem.Tests.Knet;

public sealed class KnetCryptoTests(ITestOutputHelper output)
{
    private static readonly (KnetCipher Cipher, KnetHash Hash)[] Configurations = BuildConfigurations();

    public static TheoryData<int> SweepIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < KnetFixtures.Sweep.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    /// <summary>Boxed, because a public theory cannot take the library's internal enums.</summary>
    public static TheoryData<object, object> AllConfigurations()
    {
        var data = new TheoryData<object, object>();
        foreach ((KnetCipher c, KnetHash h) in Configurations)
        {
            data.Add(c, h);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SweepIndexes))]
    public void Every_sweep_packet_opens_and_reseals_byte_identical(int index)
    {
        (string file, KnetCipher cipher, KnetHash hash) = KnetFixtures.Sweep[index];
        byte[] key = KnetFixtures.Key(KnetFixtures.SweepKey);
        using var crypto = new KnetCrypto(cipher, hash, key);
        List<CapturedDatagram> datagrams = KnetFixtures.Datagrams(file);
        Assert.Equal(KnetFixtures.SweepSummary(Path.GetFileName(file))["crypto verified"], datagrams.Count);

        // Node 1 (10.231.0.1) ran libknet's nss model, node 2 the openssl one: both senders' packets must be here.
        Assert.Contains(datagrams, d => d.Source.ToString() == "10.231.0.1");
        Assert.Contains(datagrams, d => d.Source.ToString() == "10.231.0.2");
        AssertEveryPacketOpensAndReseals(crypto, datagrams, minimumPackets: 100);
    }

    [Fact]
    public void Every_packet_of_capture_b_opens_and_reseals_byte_identical()
    {
        using var crypto = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, KnetFixtures.Key(KnetFixtures.Aes256Sha256Key));
        AssertEveryPacketOpensAndReseals(crypto, KnetFixtures.Datagrams(KnetFixtures.Aes256Sha256), minimumPackets: 1525);
    }

    [Fact]
    public void Every_packet_of_peer_check_p1_opens()
    {
        using var crypto = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, KnetFixtures.Key(KnetFixtures.PeerCheckKey));
        AssertEveryPacketOpensAndReseals(crypto, KnetFixtures.Datagrams("peer-check/p1-aes256-sha256-peer-answers.pcap"), minimumPackets: 50);
    }

    [Fact]
    public void Worked_example_b1_decrypts_to_the_documented_ping()
    {
        using var crypto = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, KnetFixtures.Key(KnetFixtures.Aes256Sha256Key));
        CapturedDatagram first = KnetFixtures.Datagrams(KnetFixtures.Aes256Sha256)[0];
        Assert.Equal(1, first.Frame);
        Assert.Equal(80, first.Payload.Length);
        var plain = new byte[80];
        Assert.Equal(KnetCryptoStatus.Ok, crypto.Open(first.Payload, plain, out int written));
        Assert.Equal(
            "01 81 00 02 00 00 00 b6 05 00 00 00 00 00 00 76 06 ba 1f 00 00 00 00 00 00 01",
            Convert.ToHexString(plain, 0, written).ToLowerInvariant().Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + " " + b));
    }

    [Theory]
    [MemberData(nameof(AllConfigurations))]
    public void An_empty_packet_is_refused_by_seal_because_no_receiver_could_open_it(object cipherArg, object hashArg)
    {
        KnetCipher cipher = (KnetCipher)cipherArg;
        KnetHash hash = (KnetHash)hashArg;
        using var crypto = new KnetCrypto(cipher, hash, KnetFixtures.Key(KnetFixtures.SweepKey));
        var sealedBytes = new byte[KnetCrypto.OverheadMax + 16];
        Assert.Equal(KnetCryptoStatus.TooShort, crypto.Seal(ReadOnlySpan<byte>.Empty, sealedBytes, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void A_wrong_key_or_wrong_hash_is_rejected_by_the_hmac()
    {
        byte[] key = KnetFixtures.Key(KnetFixtures.Aes256Sha256Key);
        byte[] otherKey = KnetFixtures.Key(KnetFixtures.SweepKey);
        byte[] packet = KnetFixtures.Datagrams(KnetFixtures.Aes256Sha256)[0].Payload;
        var plain = new byte[packet.Length];
        using var wrongKey = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, otherKey);
        Assert.Equal(KnetCryptoStatus.BadHmac, wrongKey.Open(packet, plain, out _));
        using var wrongHash = new KnetCrypto(KnetCipher.Aes256, KnetHash.Md5, key);
        Assert.Equal(KnetCryptoStatus.BadHmac, wrongHash.Open(packet, plain, out _));
    }

    [Theory]
    [MemberData(nameof(AllConfigurations))]
    public void Seal_then_open_round_trips_and_any_flipped_byte_is_rejected(object cipherArg, object hashArg)
    {
        KnetCipher cipher = (KnetCipher)cipherArg;
        KnetHash hash = (KnetHash)hashArg;
        int seed = TestSeed.Pick(output, $"{nameof(Seal_then_open_round_trips_and_any_flipped_byte_is_rejected)} {cipher}/{hash}");
        var random = new Random(seed);
        byte[] key = RandomKey(random, 256);
        using var crypto = new KnetCrypto(cipher, hash, key);
        var sealedBuffer = new byte[2200 + KnetCrypto.OverheadMax];
        var opened = new byte[sealedBuffer.Length];
        for (int round = 0; round < 300; round++)
        {
            int length = round < 40 ? round + 1 : random.Next(1, 2100);
            byte[] packet = new byte[length];
            random.NextBytes(packet);
            Assert.Equal(KnetCryptoStatus.Ok, crypto.Seal(packet, sealedBuffer, out int sealedLength));
            Assert.Equal(crypto.SealedLength(length), sealedLength);
            Assert.Equal(KnetCryptoStatus.Ok, crypto.Open(sealedBuffer.AsSpan(0, sealedLength), opened, out int openedLength));
            Assert.Equal(packet, opened.AsSpan(0, openedLength).ToArray());

            byte[] copy = sealedBuffer.AsSpan(0, sealedLength).ToArray();
            Assert.Equal(KnetCryptoStatus.Ok, crypto.OpenInPlace(copy, out int offset, out int inPlaceLength));
            Assert.Equal(packet, copy.AsSpan(offset, inPlaceLength).ToArray());

            if (!crypto.IsEnabled)
            {
                continue;
            }

            byte[] tampered = sealedBuffer.AsSpan(0, sealedLength).ToArray();
            tampered[random.Next(tampered.Length)] ^= (byte)(1 << random.Next(8));
            KnetCryptoStatus status = crypto.Open(tampered, opened, out _);
            Assert.Equal(KnetCryptoStatus.BadHmac, status);
            Assert.Equal(KnetCryptoStatus.BadHmac, crypto.OpenInPlace(tampered, out _, out _));
        }
    }

    [Theory]
    [InlineData(KnetCipher.Aes128)]
    [InlineData(KnetCipher.Aes192)]
    [InlineData(KnetCipher.Aes256)]
    public void Aes_ni_libcrypto_and_managed_engines_agree_with_dotnet_aes(object cipherArg)
    {
        KnetCipher cipher = (KnetCipher)cipherArg;
        int seed = TestSeed.Pick(output, $"{nameof(Aes_ni_libcrypto_and_managed_engines_agree_with_dotnet_aes)} {cipher}");
        var random = new Random(seed);
        byte[] key = RandomKey(random, 300);
        using var hardware = new KnetCrypto(cipher, KnetHash.Sha1, key, AesEngine.AesNi);
        using var libcrypto = new KnetCrypto(cipher, KnetHash.Sha1, key, AesEngine.LibCrypto);
        using var managed = new KnetCrypto(cipher, KnetHash.Sha1, key, AesEngine.Managed);
        Assert.False(managed.IsAllocationFree);
        Assert.True(libcrypto.IsAllocationFree);
        using var reference = System.Security.Cryptography.Aes.Create();
        reference.Key = key.AsSpan(0, KnetCrypto.AesKeyLengthOf(cipher)).ToArray();
        var salt = new byte[16];
        var a = new byte[1200];
        var b = new byte[1200];
        var plain = new byte[1200];
        for (int round = 0; round < 100; round++)
        {
            byte[] packet = new byte[random.Next(1, 1000)];
            random.NextBytes(packet);
            random.NextBytes(salt);
            Assert.Equal(KnetCryptoStatus.Ok, hardware.Seal(packet, salt, a, out int lengthA));
            Assert.Equal(KnetCryptoStatus.Ok, managed.Seal(packet, salt, b, out int lengthB));
            Assert.Equal(a.AsSpan(0, lengthA).ToArray(), b.AsSpan(0, lengthB).ToArray());
            Assert.Equal(KnetCryptoStatus.Ok, libcrypto.Seal(packet, salt, b, out lengthB));
            Assert.Equal(a.AsSpan(0, lengthA).ToArray(), b.AsSpan(0, lengthB).ToArray());
            byte[] expected = reference.EncryptCbc(packet, salt, System.Security.Cryptography.PaddingMode.PKCS7);
            Assert.Equal(expected, a.AsSpan(16, expected.Length).ToArray());
            Assert.Equal(KnetCryptoStatus.Ok, managed.Open(a.AsSpan(0, lengthA), plain, out int opened));
            Assert.Equal(packet, plain.AsSpan(0, opened).ToArray());
            a.AsSpan(0, lengthA).CopyTo(b);
            Assert.Equal(KnetCryptoStatus.Ok, libcrypto.OpenInPlace(b.AsSpan(0, lengthA), out int offset, out opened));
            Assert.Equal(packet, b.AsSpan(offset, opened).ToArray());
        }
    }

    [Fact]
    public void Every_seal_uses_a_new_salt_across_pool_refills()
    {
        using var crypto = new KnetCrypto(KnetCipher.Aes128, KnetHash.Md5, RandomKey(new Random(9), 128));
        var salts = new HashSet<string>();
        var packet = new byte[26];
        var sealedBuffer = new byte[26 + KnetCrypto.OverheadMax];
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(KnetCryptoStatus.Ok, crypto.Seal(packet, sealedBuffer, out _));
            Assert.True(salts.Add(Convert.ToHexString(sealedBuffer, 0, KnetCrypto.SaltLength)), $"salt repeated at packet {i}");
        }
    }

    [Fact]
    public void Bad_padding_under_a_valid_hmac_is_rejected()
    {
        // A forger who knows the key could only produce this; it proves the padding check runs after the HMAC.
        byte[] key = RandomKey(new Random(7), 256);
        using var crypto = new KnetCrypto(KnetCipher.Aes128, KnetHash.Sha256, key);
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = key.AsSpan(0, 16).ToArray();
        var salt = new byte[16];
        byte[] block = new byte[16];
        block[15] = 0x11; // pad 17: impossible
        byte[] cipherText = aes.EncryptCbc(block, salt, System.Security.Cryptography.PaddingMode.None);
        byte[] datagram = [.. salt, .. cipherText, .. System.Security.Cryptography.HMACSHA256.HashData(key, (byte[])[.. salt, .. cipherText])];
        Assert.Equal(KnetCryptoStatus.BadPadding, crypto.Open(datagram, new byte[64], out _));
        block[15] = 3;
        block[14] = 3;
        block[13] = 4; // inconsistent run
        cipherText = aes.EncryptCbc(block, salt, System.Security.Cryptography.PaddingMode.None);
        datagram = [.. salt, .. cipherText, .. System.Security.Cryptography.HMACSHA256.HashData(key, (byte[])[.. salt, .. cipherText])];
        Assert.Equal(KnetCryptoStatus.BadPadding, crypto.Open(datagram, new byte[64], out _));
    }

    [Fact]
    public void Short_and_misaligned_datagrams_are_rejected_not_thrown()
    {
        byte[] key = RandomKey(new Random(3), 128);
        using var crypto = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, key);
        var output = new byte[256];
        Assert.Equal(KnetCryptoStatus.TooShort, crypto.Open(new byte[32], output, out _));
        Assert.Equal(KnetCryptoStatus.TooShort, crypto.Open(new byte[16 + 32], output, out _));
        Assert.Equal(KnetCryptoStatus.BadBlockLength, crypto.Open(new byte[16 + 17 + 32], output, out _));
        Assert.Equal(KnetCryptoStatus.BadHmac, crypto.Open(new byte[16 + 16 + 32], output, out _));
        Assert.Equal(KnetCryptoStatus.TooLong, crypto.Open(new byte[65536 + 33], output, out _));
        using var hashOnly = new KnetCrypto(KnetCipher.None, KnetHash.Md5, key);
        Assert.Equal(KnetCryptoStatus.TooShort, hashOnly.Open(new byte[16], output, out _));
        Assert.Equal(KnetCryptoStatus.BadHmac, hashOnly.Open(new byte[17], output, out _));
    }

    [Theory]
    [InlineData(KnetCipher.None, KnetHash.None, 26, 26)]
    [InlineData(KnetCipher.None, KnetHash.Sha256, 26, 58)]
    [InlineData(KnetCipher.Aes256, KnetHash.Md5, 26, 64)]
    [InlineData(KnetCipher.Aes128, KnetHash.Sha1, 26, 68)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha256, 26, 80)]
    [InlineData(KnetCipher.Aes192, KnetHash.Sha384, 26, 96)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha512, 26, 112)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha256, 9, 64)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha256, 208, 272)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha256, 1423, 1472)]
    public void Sealed_lengths_match_the_captures(object cipherArg, object hashArg, int plaintext, int onWire)
    {
        KnetCipher cipher = (KnetCipher)cipherArg;
        KnetHash hash = (KnetHash)hashArg;
        Assert.Equal(onWire, KnetCrypto.SealedLength(cipher, hash, plaintext));
        int max = KnetCrypto.PlaintextLengthMax(cipher, hash, onWire);
        Assert.True(max >= plaintext);
        Assert.True(KnetCrypto.SealedLength(cipher, hash, max) <= onWire);
        Assert.True(KnetCrypto.SealedLength(cipher, hash, max + 1) > onWire);
    }

    [Fact]
    public void Authkey_rules_refuse_short_keys_and_truncate_long_ones()
    {
        Assert.Equal(KnetAuthKeyStatus.TooShort, KnetAuthKey.Select(new byte[127], out _));
        Assert.Equal(KnetAuthKeyStatus.Ok, KnetAuthKey.Select(new byte[128], out ReadOnlySpan<byte> key));
        Assert.Equal(128, key.Length);
        Assert.Equal(KnetAuthKeyStatus.Ok, KnetAuthKey.Select(new byte[4096], out key));
        Assert.Equal(4096, key.Length);
        byte[] big = new byte[5000];
        big[4095] = 1;
        big[4096] = 2;
        Assert.Equal(KnetAuthKeyStatus.Ok, KnetAuthKey.Select(big, out key));
        Assert.Equal(4096, key.Length);
        Assert.Equal(1, key[^1]);
    }

    [Theory]
    [MemberData(nameof(AllConfigurations))]
    public void Seal_and_open_allocate_nothing(object cipherArg, object hashArg)
    {
        KnetCipher cipher = (KnetCipher)cipherArg;
        KnetHash hash = (KnetHash)hashArg;
        AssertSealAndOpenAllocateNothing(cipher, hash, AesEngine.Best);
        Assert.True(System.Runtime.Intrinsics.X86.Aes.IsSupported, "this machine has AES-NI: the test above ran on it");
    }

    [Theory]
    [InlineData(KnetCipher.Aes128, KnetHash.Md5)]
    [InlineData(KnetCipher.Aes256, KnetHash.Sha256)]
    [InlineData(KnetCipher.Aes192, KnetHash.Sha512)]
    public void Seal_and_open_allocate_nothing_on_the_libcrypto_fallback(object cipherArg, object hashArg)
    {
        KnetCipher cipher = (KnetCipher)cipherArg;
        KnetHash hash = (KnetHash)hashArg;
        AssertSealAndOpenAllocateNothing(cipher, hash, AesEngine.LibCrypto);
    }

    private static void AssertSealAndOpenAllocateNothing(KnetCipher cipher, KnetHash hash, AesEngine engine)
    {
        byte[] key = RandomKey(new Random(11), 256);
        var state = new AllocationState(new KnetCrypto(cipher, hash, key, engine));
        Assert.True(state.Crypto.IsAllocationFree);
        new Random(5).NextBytes(state.Packet);
        ZeroAllocation.Assert(state, static s =>
        {
            if (s.Crypto.Seal(s.Packet, s.Sealed, out int sealedLength) != KnetCryptoStatus.Ok
                || s.Crypto.Open(s.Sealed.AsSpan(0, sealedLength), s.Opened, out int openedLength) != KnetCryptoStatus.Ok
                || openedLength != s.Packet.Length
                || s.Crypto.OpenInPlace(s.Sealed.AsSpan(0, sealedLength), out _, out _) != KnetCryptoStatus.Ok)
            {
                throw new InvalidOperationException("round trip failed");
            }
        });
        state.Crypto.Dispose();
    }

    private sealed class AllocationState(KnetCrypto crypto)
    {
        public KnetCrypto Crypto { get; } = crypto;
        public byte[] Packet { get; } = new byte[1411];
        public byte[] Sealed { get; } = new byte[1411 + KnetCrypto.OverheadMax];
        public byte[] Opened { get; } = new byte[1411 + KnetCrypto.OverheadMax];
    }

    /// <summary>
    /// Opens every datagram (into a buffer and in place), checks the cleartext is a knet packet, and seals it again with
    /// the captured salt: the result must be the captured bytes, proving seal matches libknet (nss and openssl senders).
    /// </summary>
    private static void AssertEveryPacketOpensAndReseals(KnetCrypto crypto, List<CapturedDatagram> datagrams, int minimumPackets)
    {
        Assert.True(datagrams.Count >= minimumPackets, $"{datagrams.Count} datagrams");
        var plain = new byte[70000];
        var resealed = new byte[70000];
        foreach (CapturedDatagram d in datagrams)
        {
            Assert.True(crypto.Open(d.Payload, plain, out int length) == KnetCryptoStatus.Ok, $"frame {d.Frame}");
            Assert.Equal(WireError.None, KnetCodec.TryReadHeader(plain.AsSpan(0, length), out _));
            byte[] copy = (byte[])d.Payload.Clone();
            Assert.Equal(KnetCryptoStatus.Ok, crypto.OpenInPlace(copy, out int offset, out int inPlaceLength));
            Assert.True(plain.AsSpan(0, length).SequenceEqual(copy.AsSpan(offset, inPlaceLength)), $"frame {d.Frame}");
            ReadOnlySpan<byte> salt = crypto.Cipher == KnetCipher.None ? default : d.Payload.AsSpan(0, 16);
            Assert.Equal(KnetCryptoStatus.Ok, crypto.Seal(plain.AsSpan(0, length), salt, resealed, out int resealedLength));
            Assert.True(d.Payload.AsSpan().SequenceEqual(resealed.AsSpan(0, resealedLength)), $"frame {d.Frame} reseal differs");
        }
    }

    private static byte[] RandomKey(Random random, int length)
    {
        byte[] key = new byte[length];
        random.NextBytes(key);
        return key;
    }

    private static (KnetCipher, KnetHash)[] BuildConfigurations()
    {
        var list = new List<(KnetCipher, KnetHash)> { (KnetCipher.None, KnetHash.None) };
        foreach (KnetHash hash in new[] { KnetHash.Md5, KnetHash.Sha1, KnetHash.Sha256, KnetHash.Sha384, KnetHash.Sha512 })
        {
            list.Add((KnetCipher.None, hash));
            list.Add((KnetCipher.Aes128, hash));
            list.Add((KnetCipher.Aes192, hash));
            list.Add((KnetCipher.Aes256, hash));
        }

        return list.ToArray();
    }
}
