namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>corosync's <c>totem.crypto_hash</c>: the HMAC appended to every sealed knet packet, or none. See docs/knet.md.</summary>
internal enum KnetHash : byte
{
    None = 0,
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}
