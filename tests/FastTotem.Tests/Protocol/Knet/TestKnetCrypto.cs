using System.Security.Cryptography;
using FastTotem.Protocol.Knet;

namespace FastTotem.Tests.Protocol.Knet;

/// <summary>
/// A stand-in for the real knet crypto with the same sizes as aes + sha256 (16-byte salt, PKCS#7 padding to 16,
/// a 32-byte HMAC-SHA256 over salt ‖ body): the body is only XOR-masked, but a wrong key fails the HMAC exactly as
/// libknet's does. Allocation-free, so the machine's zero-allocation test covers the crypto path.
/// </summary>
internal sealed class TestKnetCrypto : IKnetCrypto
{
    private readonly byte[] _key;
    private ulong _salt;

    public TestKnetCrypto(byte keySeed)
    {
        _key = new byte[128];
        for (int i = 0; i < _key.Length; i++)
        {
            _key[i] = (byte)(keySeed + (i * 7));
        }
    }

    public KnetMtu Mtu => new(cipher: true, hashLength: 32);

    public int Seal(ReadOnlySpan<byte> plain, Span<byte> sealedPacket)
    {
        int padded = 16 * ((plain.Length / 16) + 1);
        int total = 16 + padded + 32;
        if (sealedPacket.Length < total)
        {
            return -1;
        }

        _salt++;
        Span<byte> salt = sealedPacket[..16];
        salt.Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(salt, _salt);
        byte pad = (byte)(padded - plain.Length);
        for (int i = 0; i < padded; i++)
        {
            byte b = i < plain.Length ? plain[i] : pad;
            sealedPacket[16 + i] = (byte)(b ^ _key[i % _key.Length] ^ salt[i % 16]);
        }

        HMACSHA256.HashData(_key, sealedPacket[..(16 + padded)], sealedPacket.Slice(16 + padded, 32));
        return total;
    }

    public int Open(ReadOnlySpan<byte> sealedPacket, Span<byte> plain)
    {
        int body = sealedPacket.Length - 16 - 32;
        if (body <= 0 || body % 16 != 0 || plain.Length < body)
        {
            return -1;
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, sealedPacket[..(16 + body)], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, sealedPacket.Slice(16 + body, 32)))
        {
            return -1;
        }

        ReadOnlySpan<byte> salt = sealedPacket[..16];
        for (int i = 0; i < body; i++)
        {
            plain[i] = (byte)(sealedPacket[16 + i] ^ _key[i % _key.Length] ^ salt[i % 16]);
        }

        int pad = plain[body - 1];
        if (pad is < 1 or > 16)
        {
            return -1;
        }

        return body - pad;
    }
}
