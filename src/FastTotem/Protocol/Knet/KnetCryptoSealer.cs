using FastTotem.Protocol.Knet.Crypto;

namespace FastTotem.Protocol.Knet;

/// <summary>The knet machine's seal/open over <see cref="KnetCrypto"/> (a fresh random salt per sealed packet).</summary>
internal sealed class KnetCryptoSealer : IKnetCrypto
{
    private readonly KnetCrypto _crypto;

    public KnetCryptoSealer(KnetCrypto crypto)
    {
        _crypto = crypto;
        Mtu = new KnetMtu(crypto.Cipher != KnetCipher.None, crypto.HashLength);
    }

    public KnetMtu Mtu { get; }

    /// <summary>Why the last failed <see cref="Open"/> failed (for logs).</summary>
    public KnetCryptoStatus LastOpenStatus { get; private set; }

    public int Seal(ReadOnlySpan<byte> plain, Span<byte> sealedPacket) =>
        _crypto.Seal(plain, sealedPacket, out int written) == KnetCryptoStatus.Ok ? written : -1;

    public int Open(ReadOnlySpan<byte> sealedPacket, Span<byte> plain)
    {
        KnetCryptoStatus status = _crypto.Open(sealedPacket, plain, out int written);
        if (status != KnetCryptoStatus.Ok)
        {
            LastOpenStatus = status;
            return -1;
        }

        return written;
    }
}
