namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>Result of sealing or opening one knet datagram. Every value but <see cref="Ok"/> means "count and drop".</summary>
internal enum KnetCryptoStatus : byte
{
    Ok = 0,

    /// <summary>Not longer than the HMAC, or too short to hold a salt and one cipher block.</summary>
    TooShort,

    /// <summary>Longer than libknet accepts (65536 + HMAC on receive, 65536 plaintext bytes on send).</summary>
    TooLong,

    /// <summary>The HMAC does not match: wrong key, wrong hash, or damaged bytes.</summary>
    BadHmac,

    /// <summary>The ciphertext is not a whole number of 16-byte blocks.</summary>
    BadBlockLength,

    /// <summary>The decrypted PKCS#7 padding is malformed.</summary>
    BadPadding,

    /// <summary>The caller's output buffer is too small.</summary>
    DestinationTooSmall,
}
