namespace FastTotem.Protocol.Knet;

/// <summary>
/// Seal and open of whole knet packets as the knet machine needs them (docs/knet.md, "Crypto"). The machine seals
/// each packet once and sends the same bytes to every destination; it opens every datagram before it reads the
/// knet header. Implementations must not allocate on either call and must not throw on bad input.
/// </summary>
internal interface IKnetCrypto
{
    /// <summary>The MTU arithmetic this crypto implies (cipher on or off, HMAC length).</summary>
    KnetMtu Mtu { get; }

    /// <summary>Seals <paramref name="plain"/> into <paramref name="sealedPacket"/>; returns the sealed length, or -1 when it does not fit.</summary>
    int Seal(ReadOnlySpan<byte> plain, Span<byte> sealedPacket);

    /// <summary>Verifies and opens <paramref name="sealedPacket"/> into <paramref name="plain"/>; returns the cleartext length, or -1 when it fails.</summary>
    int Open(ReadOnlySpan<byte> sealedPacket, Span<byte> plain);
}
