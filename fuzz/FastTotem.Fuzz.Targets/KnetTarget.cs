using System.Net;
using FastTotem.Capture;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Wire;
using FastTotem.Wire.Knet;

namespace FastTotem.Fuzz;

/// <summary>
/// <c>knet</c>: the knet codec and crypto (docs/knet.md) and the capture decoder's knet path. The first byte picks
/// the mode: 0, the rest is one packet in the clear through every knet decoder, the PONG and PMTUD reply writers and
/// the capture decoder; 1, the rest is a packet that is opened with the fixed key (aes256/sha256 and hash-only
/// sha256), and also sealed with it and opened again; 2, the rest is a list of packets (2 length bytes, the bytes)
/// through one capture decoder that holds the key, so fragments reassemble across packets.
/// Invariants: a sealed packet opens to exactly what was sealed; what a writer or open reports written fits its
/// buffer and never exceeds the input; the capture decoder counts no more Totem datagrams than packets.
/// </summary>
public sealed class KnetTarget : IFuzzTarget
{
    private const int PacketsMax = 64;

    /// <summary>The key every sealed seed uses (knet keys hold 128 to 4096 bytes).</summary>
    internal static readonly byte[] Key = Enumerable.Range(0, 256).Select(i => (byte)((i * 37) + 11)).ToArray();

    private static readonly byte[] Salt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    private readonly KnetCrypto _sealed = new(KnetCipher.Aes256, KnetHash.Sha256, Key);
    private readonly KnetCrypto _hashOnly = new(KnetCipher.None, KnetHash.Sha256, Key);
    private readonly byte[] _out = new byte[KnetCrypto.PacketLengthMax + KnetCrypto.OverheadMax];
    private readonly byte[] _back = new byte[KnetCrypto.PacketLengthMax + KnetCrypto.OverheadMax];

    public string Name => "knet";

    public void Run(ReadOnlySpan<byte> input)
    {
        var reader = new FuzzInput(input);
        switch (reader.Byte() % 3)
        {
            case 0:
                ReadOnlySpan<byte> packet = reader.Rest();
                DecodeClear(packet);
                CaptureDecode(null, packet.ToArray());
                break;
            case 1:
                OpenAndSeal(reader.Rest());
                break;
            default:
                var packets = new List<byte[]>();
                while (!reader.IsEmpty && packets.Count < PacketsMax)
                {
                    packets.Add(reader.Bytes(reader.UInt16()).ToArray());
                }

                CaptureDecode(Key, packets.ToArray());
                break;
        }
    }

    private void DecodeClear(ReadOnlySpan<byte> packet)
    {
        _ = KnetCodec.TryReadHeader(packet, out KnetHeader _);
        if (KnetCodec.TryDecodeData(packet, out KnetDataHeader _, out ReadOnlySpan<byte> payload) == WireError.None && payload.Length > packet.Length)
        {
            throw new FuzzInvariantException($"a DATA payload of {payload.Length} bytes in a {packet.Length}-byte packet");
        }

        _ = KnetCodec.TryDecodePing(packet, out KnetPing _);
        _ = KnetCodec.TryDecodePmtud(packet, out KnetPmtud _, out int _);
        if (KnetCodec.TryWritePong(packet, 9, _out, out int written) == WireError.None)
        {
            Require(written <= _out.Length && written > 0, "PONG", written);
        }

        if (KnetCodec.TryWritePmtudReply(packet, 9, _out, out written) == WireError.None)
        {
            Require(written <= _out.Length && written > 0, "PMTUD reply", written);
        }
    }

    private void OpenAndSeal(ReadOnlySpan<byte> packet)
    {
        foreach (KnetCrypto crypto in (ReadOnlySpan<KnetCrypto>)[_sealed, _hashOnly])
        {
            if (crypto.Open(packet, _out, out int opened) == KnetCryptoStatus.Ok)
            {
                Require(opened <= packet.Length, "open", opened);
                DecodeClear(_out.AsSpan(0, opened));
            }

            // Whatever Seal accepts must open again. (It once sealed an empty packet under hash-only into a bare HMAC
            // that Open refused as TooShort; Seal now refuses empty packets. The input is kept under crashes/knet.)
            if (packet.Length + KnetCrypto.OverheadMax <= KnetCrypto.PacketLengthMax
                && crypto.Seal(packet, Salt, _out, out int sealedLength) == KnetCryptoStatus.Ok)
            {
                KnetCryptoStatus status = crypto.Open(_out.AsSpan(0, sealedLength), _back, out int back);
                if (status != KnetCryptoStatus.Ok || !_back.AsSpan(0, back).SequenceEqual(packet))
                {
                    throw new FuzzInvariantException($"{crypto.Cipher}/{crypto.Hash}: a sealed {packet.Length}-byte packet opened as {status}, {back} bytes");
                }
            }
        }
    }

    private static void CaptureDecode(byte[]? key, params byte[][] packets)
    {
        var decoder = new TotemCaptureDecoder(0);
        if (key is not null)
        {
            decoder.AddAuthKey(key);
        }

        for (int i = 0; i < packets.Length; i++)
        {
            var datagram = new CapturedDatagram(i + 1, i * 1000L, IPAddress.Loopback, 5405, IPAddress.Loopback, 5405, packets[i]);
            DecodedFields fields = decoder.Decode(datagram);
            _ = DecodeTextFormatter.Format(fields);
            _ = DecodeJsonFormatter.Format(fields);
        }

        decoder.FinishKnet();
        // knet packets are counted apart from Totem datagrams, so only the Totem counts can be checked against each other.
        if (decoder.DatagramCount > packets.Length || decoder.UndecodableCount > decoder.DatagramCount)
        {
            throw new FuzzInvariantException($"decoder counted {decoder.DatagramCount} Totem datagrams ({decoder.UndecodableCount} undecodable) of {packets.Length} packets");
        }
    }

    private static void Require(bool condition, string what, int written)
    {
        if (!condition)
        {
            throw new FuzzInvariantException($"{what} reported {written} bytes written");
        }
    }
}
