using System.Globalization;
using System.IO.Compression;
using System.Net;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Wire;
using FastTotem.Wire.Knet;

namespace FastTotem.Capture;

/// <summary>
/// The knet layer of <c>fasttotem decode</c> (docs/knet.md): recognises knet packets by their bytes, opens sealed
/// ones with the authkeys given (cipher and hash found by trying each until the HMAC verifies and the cleartext is
/// a knet packet, the last match tried first), decodes PING/PONG/PMTUD, reassembles DATA fragments per
/// (host, destination, seq), inflates zlib DATA, and hands each complete payload to the Totem decoder.
/// </summary>
internal sealed partial class TotemCaptureDecoder
{
    /// <summary>Open fragment reassemblies kept at once; the oldest is dropped beyond this.</summary>
    private const int KnetReassembliesMax = 1024;

    private static readonly (KnetCipher Cipher, KnetHash Hash)[] KnetCryptoCandidates = BuildKnetCryptoCandidates();

    private readonly List<KnetCrypto[]> _knetKeys = new();
    private readonly Dictionary<(ushort Host, IPAddress Destination, ushort Seq), KnetReassembly> _reassemblies = new();
    private readonly LinkedList<(ushort Host, IPAddress Destination, ushort Seq)> _reassemblyOrder = new();
    private readonly byte[] _knetScratch = new byte[KnetDataHeader.PayloadMax + KnetCrypto.OverheadMax + 1024];
    private int _preferredKey;
    private int _preferredCandidate;

    /// <summary>Called with each complete knet DATA payload (defragmented, inflated) before it is decoded; for tests.</summary>
    internal Action<CapturedDatagram, byte[]>? KnetPayloadObserver { get; set; }

    /// <summary>What the knet layer saw so far.</summary>
    public KnetDecodeCounts Knet { get; } = new();

    /// <summary>Adds an authkey (already cut to the rules of <see cref="KnetAuthKey.Select"/>); keys are tried in the order added.</summary>
    public void AddAuthKey(ReadOnlySpan<byte> key)
    {
        var slot = new KnetCrypto[KnetCryptoCandidates.Length];
        for (int i = 0; i < slot.Length; i++)
        {
            slot[i] = new KnetCrypto(KnetCryptoCandidates[i].Cipher, KnetCryptoCandidates[i].Hash, key);
        }

        _knetKeys.Add(slot);
    }

    /// <summary>Call once after the last datagram: counts reassemblies that never completed.</summary>
    public void FinishKnet() => Knet.ReassembliesIncomplete = _reassemblies.Count;

    /// <summary>An ICMP error about a datagram of the decoded ports, as one line.</summary>
    public DecodedFields DecodeIcmp(CapturedIcmp icmp)
    {
        Knet.Icmp++;
        var fields = new DecodedFields();
        fields.Set("frame", icmp.Frame);
        fields.Set("time", (icmp.TimestampNs - _originNs) / 1e9);
        fields.Set("src", icmp.Source.ToString());
        fields.Set("dst", icmp.Destination.ToString());
        fields.Set("type", icmp.IsIpv6 ? "icmp6" : "icmp");
        fields.Set("len", 0);
        fields.Set("icmp_type", icmp.Type);
        fields.Set("icmp_code", icmp.Code);
        string? reason = (icmp.IsIpv6, icmp.Type, icmp.Code) switch
        {
            (false, 3, 3) or (true, 1, 4) => "port_unreachable",
            (false, 3, 1) or (true, 1, 3) => "host_unreachable",
            (false, 3, 0) or (true, 1, 0) => "network_unreachable",
            (false, 3, 4) or (true, 2, _) => "fragmentation_needed",
            _ => null,
        };
        if (reason is not null)
        {
            fields.Set("reason", reason);
        }

        fields.Set("about", Endpoint(icmp.QuotedSource, icmp.QuotedSourcePort) + "->" + Endpoint(icmp.QuotedDestination, icmp.QuotedDestinationPort));
        return fields;
    }

    /// <summary>Cleartext knet: version 1 and one of the five packet types, at least 7 bytes.</summary>
    internal static bool LooksLikeKnet(ReadOnlySpan<byte> payload) =>
        KnetCodec.TryReadHeader(payload, out _) == WireError.None;

    /// <summary>The Totem magic in either byte order.</summary>
    private static bool LooksLikeTotem(ReadOnlySpan<byte> payload) =>
        payload.Length >= 2 && ((payload[0] == 0x70 && payload[1] == 0xC0) || (payload[0] == 0xC0 && payload[1] == 0x70));

    /// <summary>
    /// Decides whether a datagram is knet and, if so, decodes it into <paramref name="fields"/> (already holding
    /// frame, time, src, dst, type, len). Returns false for anything that is not knet (left to the Totem decoder).
    /// </summary>
    private bool TryDecodeKnet(CapturedDatagram datagram, DecodedFields fields, out DecodeFailure failure)
    {
        failure = DecodeFailure.None;
        byte[] payload = datagram.Payload;
        ReadOnlySpan<byte> clear;
        string crypto;
        int keyNumber = 0;
        if (TryOpenSealed(payload, out int offset, out int length, out crypto, out keyNumber))
        {
            clear = _knetScratch.AsSpan(offset, length);
            Knet.CryptoVerified++;
        }
        else if (LooksLikeTotem(payload))
        {
            return false;
        }
        else if (LooksLikeKnet(payload))
        {
            clear = payload;
            crypto = "none";
            Knet.Clear++;
        }
        else if (_knetKeys.Count > 0)
        {
            Knet.Packets++;
            Knet.CryptoFailed++;
            fields.Set("type", "knet");
            fields.Set("knet", new DecodedFields().Set("crypto", "failed"));
            failure = new DecodeFailure(WireError.BadField, "knet_crypto");
            return true;
        }
        else
        {
            return false;
        }

        Knet.Packets++;
        var knet = new DecodedFields();
        fields.Set("knet", knet);
        WireError error = KnetCodec.TryReadHeader(clear, out KnetHeader header);
        if (error != WireError.None)
        {
            fields.Set("type", "knet");
            failure = new DecodeFailure(error, "knet");
            return true;
        }

        knet.Set("type", KnetTypeName(header.Type));
        knet.Set("host", header.HostId);
        switch (header.Type)
        {
            case KnetPacketType.Ping:
            case KnetPacketType.Pong:
                failure = DecodeKnetPing(clear, header.Type, fields, knet);
                break;
            case KnetPacketType.Pmtud:
            case KnetPacketType.PmtudReply:
                failure = DecodeKnetPmtud(clear, header.Type, fields, knet);
                break;
            default:
                failure = DecodeKnetData(clear, datagram, fields, knet);
                break;
        }

        knet.Set("crypto", crypto);
        if (keyNumber > 0 && _knetKeys.Count > 1)
        {
            knet.Set("key", keyNumber);
        }

        return true;
    }

    private DecodeFailure DecodeKnetPing(ReadOnlySpan<byte> clear, KnetPacketType type, DecodedFields fields, DecodedFields knet)
    {
        fields.Set("type", type == KnetPacketType.Ping ? "knet_ping" : "knet_pong");
        if (type == KnetPacketType.Ping)
        {
            Knet.Ping++;
        }
        else
        {
            Knet.Pong++;
        }

        WireError error = KnetCodec.TryDecodePing(clear, out KnetPing ping);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "knet");
        }

        knet.Set("link", ping.Link);
        knet.Set("seq", ping.Seq);
        knet.Set("timed", ping.Timed);
        knet.Set("time", string.Create(CultureInfo.InvariantCulture, $"{ping.TimeSeconds}.{ping.TimeNanoseconds:D9}"));
        return DecodeFailure.None;
    }

    private DecodeFailure DecodeKnetPmtud(ReadOnlySpan<byte> clear, KnetPacketType type, DecodedFields fields, DecodedFields knet)
    {
        fields.Set("type", type == KnetPacketType.Pmtud ? "knet_pmtud" : "knet_pmtud_reply");
        if (type == KnetPacketType.Pmtud)
        {
            Knet.Pmtud++;
        }
        else
        {
            Knet.PmtudReply++;
        }

        WireError error = KnetCodec.TryDecodePmtud(clear, out KnetPmtud pmtud, out int padding);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "knet");
        }

        knet.Set("link", pmtud.Link);
        knet.Set("size", pmtud.Size);
        if (type == KnetPacketType.Pmtud)
        {
            knet.Set("padding", padding);
        }

        return DecodeFailure.None;
    }

    private DecodeFailure DecodeKnetData(ReadOnlySpan<byte> clear, CapturedDatagram datagram, DecodedFields fields, DecodedFields knet)
    {
        Knet.Data++;
        fields.Set("type", "knet_data");
        WireError error = KnetCodec.TryDecodeData(clear, out KnetDataHeader data, out ReadOnlySpan<byte> user);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "knet");
        }

        knet.Set("seq", data.Seq);
        knet.Set("bcast", data.Broadcast);
        if (data.Channel != 0)
        {
            knet.Set("channel", data.Channel);
        }

        if (data.Compress != 0)
        {
            knet.Set("compress", data.Compress);
        }

        byte[] whole;
        if (data.IsFragment)
        {
            Knet.Fragments++;
            knet.Set("frag", string.Create(CultureInfo.InvariantCulture, $"{data.FragmentSeq}/{data.FragmentCount}"));
            byte[]? complete = AddKnetFragment(data, datagram.Destination, user);
            if (complete is null)
            {
                fields.Set("type", "knet_fragment");
                return DecodeFailure.None;
            }

            whole = complete;
        }
        else
        {
            whole = user.ToArray();
        }

        if (data.Compress != 0)
        {
            if (data.Compress != (byte)KnetCompressionModel.Zlib)
            {
                return new DecodeFailure(WireError.BadField, "knet_compress");
            }

            byte[]? inflated = Inflate(whole);
            if (inflated is null)
            {
                return new DecodeFailure(WireError.BadField, "knet_compress");
            }

            Knet.Compressed++;
            whole = inflated;
        }

        Knet.Payloads++;
        DatagramCount++;
        KnetPayloadObserver?.Invoke(datagram, whole);
        if (data.IsFragment || data.Compress != 0)
        {
            knet.Set("payload_len", whole.Length);
        }

        return DecodeSrp(whole, fields);
    }

    /// <summary>Stores a fragment; returns the whole payload when this fragment completes it.</summary>
    private byte[]? AddKnetFragment(in KnetDataHeader data, IPAddress destination, ReadOnlySpan<byte> user)
    {
        var key = (data.Header.HostId, destination, data.Seq);
        if (!_reassemblies.TryGetValue(key, out KnetReassembly? reassembly) || reassembly.Parts.Length != data.FragmentCount + 1)
        {
            if (reassembly is not null)
            {
                _reassemblyOrder.Remove(reassembly.Node);
            }

            if (_reassemblies.Count >= KnetReassembliesMax && reassembly is null)
            {
                var oldest = _reassemblyOrder.First!;
                _reassemblies.Remove(oldest.Value);
                _reassemblyOrder.RemoveFirst();
                Knet.ReassembliesEvicted++;
            }

            reassembly = new KnetReassembly(new byte[]?[data.FragmentCount + 1], _reassemblyOrder.AddLast(key));
            _reassemblies[key] = reassembly;
        }

        if (reassembly.Parts[data.FragmentSeq] is not null)
        {
            return null;
        }

        reassembly.Parts[data.FragmentSeq] = user.ToArray();
        reassembly.Received++;
        if (reassembly.Received < data.FragmentCount)
        {
            return null;
        }

        _reassemblies.Remove(key);
        _reassemblyOrder.Remove(reassembly.Node);
        int total = 0;
        for (int i = 1; i < reassembly.Parts.Length; i++)
        {
            total += reassembly.Parts[i]!.Length;
        }

        var whole = new byte[total];
        int at = 0;
        for (int i = 1; i < reassembly.Parts.Length; i++)
        {
            reassembly.Parts[i]!.CopyTo(whole, at);
            at += reassembly.Parts[i]!.Length;
        }

        return whole;
    }

    /// <summary>Inflates a zlib stream (with header) of at most 65536 output bytes; null when it is not one.</summary>
    private static byte[]? Inflate(byte[] compressed)
    {
        try
        {
            using var input = new MemoryStream(compressed, writable: false);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            var output = new byte[KnetDataHeader.PayloadMax + 1];
            int total = 0;
            int read;
            while (total < output.Length && (read = zlib.Read(output, total, output.Length - total)) > 0)
            {
                total += read;
            }

            return total > KnetDataHeader.PayloadMax ? null : output.AsSpan(0, total).ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (IOException)
        {
            // zlib's own error codes (ZLibException) for a stream that is not deflate data.
            return null;
        }
    }

    /// <summary>Tries each authkey and cipher × hash; the cleartext lands in <see cref="_knetScratch"/>.</summary>
    private bool TryOpenSealed(byte[] payload, out int offset, out int length, out string crypto, out int keyNumber)
    {
        offset = 0;
        length = 0;
        crypto = "none";
        keyNumber = 0;
        if (_knetKeys.Count == 0 || payload.Length > _knetScratch.Length)
        {
            return false;
        }

        int count = _knetKeys.Count * KnetCryptoCandidates.Length;
        int preferred = _preferredKey * KnetCryptoCandidates.Length + _preferredCandidate;
        for (int n = 0; n < count; n++)
        {
            int index = n == 0 ? preferred : (n <= preferred ? n - 1 : n);
            int keyIndex = index / KnetCryptoCandidates.Length;
            int candidate = index % KnetCryptoCandidates.Length;
            KnetCrypto slot = _knetKeys[keyIndex][candidate];
            Span<byte> scratch = _knetScratch.AsSpan(0, payload.Length);
            payload.CopyTo(scratch);
            if (slot.OpenInPlace(scratch, out offset, out length) == KnetCryptoStatus.Ok
                && LooksLikeKnet(_knetScratch.AsSpan(offset, length)))
            {
                _preferredKey = keyIndex;
                _preferredCandidate = candidate;
                keyNumber = keyIndex + 1;
                crypto = CryptoName(slot.Cipher, slot.Hash);
                return true;
            }
        }

        offset = 0;
        length = 0;
        return false;
    }

    private static string CryptoName(KnetCipher cipher, KnetHash hash) =>
        (cipher switch { KnetCipher.Aes128 => "aes128", KnetCipher.Aes192 => "aes192", KnetCipher.Aes256 => "aes256", _ => "none" })
        + "/"
        + (hash switch { KnetHash.Md5 => "md5", KnetHash.Sha1 => "sha1", KnetHash.Sha256 => "sha256", KnetHash.Sha384 => "sha384", KnetHash.Sha512 => "sha512", _ => "none" });

    private static string KnetTypeName(KnetPacketType type) => type switch
    {
        KnetPacketType.Data => "data",
        KnetPacketType.Ping => "ping",
        KnetPacketType.Pong => "pong",
        KnetPacketType.Pmtud => "pmtud",
        _ => "pmtud_reply",
    };

    /// <summary>Ciphered pairs first (aes256 + sha256, pcs's default, leads), then hash-only.</summary>
    private static (KnetCipher, KnetHash)[] BuildKnetCryptoCandidates()
    {
        var list = new List<(KnetCipher, KnetHash)> { (KnetCipher.Aes256, KnetHash.Sha256) };
        KnetHash[] hashes = [KnetHash.Sha256, KnetHash.Sha1, KnetHash.Sha512, KnetHash.Sha384, KnetHash.Md5];
        foreach (KnetCipher cipher in new[] { KnetCipher.Aes256, KnetCipher.Aes128, KnetCipher.Aes192 })
        {
            foreach (KnetHash hash in hashes)
            {
                if (!list.Contains((cipher, hash)))
                {
                    list.Add((cipher, hash));
                }
            }
        }

        foreach (KnetHash hash in hashes)
        {
            list.Add((KnetCipher.None, hash));
        }

        return list.ToArray();
    }

    private sealed class KnetReassembly(byte[]?[] parts, LinkedListNode<(ushort Host, IPAddress Destination, ushort Seq)> node)
    {
        public byte[]?[] Parts { get; } = parts;

        public LinkedListNode<(ushort Host, IPAddress Destination, ushort Seq)> Node { get; } = node;

        public int Received { get; set; }
    }
}
