namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>corosync's <c>totem.crypto_cipher</c>: AES in CBC mode with PKCS#7 padding, or none. See docs/knet.md.</summary>
internal enum KnetCipher : byte
{
    None = 0,
    Aes128,
    Aes192,
    Aes256,
}
