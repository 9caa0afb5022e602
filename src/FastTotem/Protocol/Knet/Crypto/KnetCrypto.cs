using System.Security.Cryptography;

namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>
/// One knet crypto configuration (libknet's crypto "slot"): seals outgoing cleartext knet packets and opens
/// incoming ones, byte-compatible with libknet 1.25's nss and openssl models. See docs/knet.md, "Crypto".
/// </summary>
/// <remarks>
/// <para>Layout with a cipher: <c>salt(16) ‖ AES-CBC(key[0..16/24/32], iv = salt, PKCS#7(packet)) ‖ HMAC(key, salt ‖ ciphertext)</c>.
/// Hash only: <c>packet ‖ HMAC(key, packet)</c>. Neither: the packet itself. The HMAC key is the whole authkey
/// (after <see cref="KnetAuthKey.Select"/>); the AES key is its first bytes. No key derivation.</para>
/// <para>Seal and open allocate nothing per call (AES-NI, or libcrypto's EVP on CPUs without it; only the last
/// resort, .NET's managed AES when libcrypto.so.3 is missing, allocates 64 B per call). An instance is not thread-safe: use one per thread or direction.
/// There is no slot id on the wire: a receiver holding two configurations tries each in turn.</para>
/// </remarks>
internal sealed class KnetCrypto : IDisposable
{
    /// <summary>Salt (= IV) length with a cipher.</summary>
    public const int SaltLength = 16;

    /// <summary>AES block length: the padding granule.</summary>
    public const int BlockLength = AesCbc.BlockSize;

    /// <summary>Largest cleartext knet packet libknet seals or accepts (KNET_MAX_PACKET_SIZE).</summary>
    public const int PacketLengthMax = 65536;

    /// <summary>Largest HMAC (sha512).</summary>
    public const int HashLengthMax = 64;

    /// <summary>Most bytes sealing can add: salt, a full padding block, the largest HMAC.</summary>
    public const int OverheadMax = SaltLength + BlockLength + HashLengthMax;

    /// <summary>Salts drawn from the system CSPRNG per refill: one call per 256 packets instead of one per packet.</summary>
    private const int SaltPoolLength = SaltLength * 256;

    private readonly AesCbc? _aes;
    private readonly IncrementalHash? _hmac;
    private readonly byte[]? _saltPool;
    private int _saltPoolOffset = SaltPoolLength;

    /// <param name="cipher">crypto_cipher.</param>
    /// <param name="hash">crypto_hash. A cipher needs a hash (corosync refuses a cipher alone).</param>
    /// <param name="key">The authkey bytes (see <see cref="KnetAuthKey.Select"/>); ignored when both are none.</param>
    public KnetCrypto(KnetCipher cipher, KnetHash hash, ReadOnlySpan<byte> key)
        : this(cipher, hash, key, AesEngine.Best)
    {
    }

    internal KnetCrypto(KnetCipher cipher, KnetHash hash, ReadOnlySpan<byte> key, AesEngine aesEngine)
    {
        if (cipher != KnetCipher.None && hash == KnetHash.None)
        {
            throw new ArgumentException("a knet cipher needs a hash (corosync refuses crypto_cipher without crypto_hash)", nameof(hash));
        }

        if ((cipher != KnetCipher.None || hash != KnetHash.None) && key.Length is < KnetAuthKey.LengthMin or > KnetAuthKey.LengthMax)
        {
            throw new ArgumentException($"a knet key has {KnetAuthKey.LengthMin}..{KnetAuthKey.LengthMax} bytes", nameof(key));
        }

        Cipher = cipher;
        Hash = hash;
        HashLength = HashLengthOf(hash);
        if (cipher != KnetCipher.None)
        {
            _aes = new AesCbc(key[..AesKeyLengthOf(cipher)], aesEngine);
            _saltPool = new byte[SaltPoolLength];
        }

        if (hash != KnetHash.None)
        {
            _hmac = IncrementalHash.CreateHMAC(HashNameOf(hash), key);
        }
    }

    public KnetCipher Cipher { get; }

    public KnetHash Hash { get; }

    /// <summary>HMAC bytes appended to each packet (0, 16, 20, 32, 48 or 64).</summary>
    public int HashLength { get; }

    /// <summary>False when both cipher and hash are none: seal and open copy the bytes.</summary>
    public bool IsEnabled => Cipher != KnetCipher.None || Hash != KnetHash.None;

    /// <summary>True when AES runs without allocating per call (AES-NI or libcrypto's EVP; not the managed fallback).</summary>
    public bool IsAllocationFree => _aes?.IsAllocationFree ?? true;

    /// <summary>The AES implementation in use (<see cref="AesEngine.Best"/> when there is no cipher).</summary>
    internal AesEngine AesEngine => _aes?.Engine ?? AesEngine.Best;

    /// <summary>HMAC length of a hash: md5 16, sha1 20, sha256 32, sha384 48, sha512 64.</summary>
    public static int HashLengthOf(KnetHash hash) => hash switch
    {
        KnetHash.None => 0,
        KnetHash.Md5 => 16,
        KnetHash.Sha1 => 20,
        KnetHash.Sha256 => 32,
        KnetHash.Sha384 => 48,
        KnetHash.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    /// <summary>AES key bytes taken from the front of the authkey: 16, 24 or 32 (0 for none).</summary>
    public static int AesKeyLengthOf(KnetCipher cipher) => cipher switch
    {
        KnetCipher.None => 0,
        KnetCipher.Aes128 => 16,
        KnetCipher.Aes192 => 24,
        KnetCipher.Aes256 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(cipher)),
    };

    /// <summary>Bytes on the wire for a cleartext packet of <paramref name="plaintextLength"/> bytes.</summary>
    public static int SealedLength(KnetCipher cipher, KnetHash hash, int plaintextLength) =>
        cipher == KnetCipher.None
            ? plaintextLength + HashLengthOf(hash)
            : SaltLength + BlockLength * (plaintextLength / BlockLength + 1) + HashLengthOf(hash);

    /// <summary>
    /// The longest cleartext packet whose sealed form fits in <paramref name="sealedBudget"/> bytes
    /// (the inverse of <see cref="SealedLength(KnetCipher, KnetHash, int)"/>; negative when nothing fits).
    /// </summary>
    public static int PlaintextLengthMax(KnetCipher cipher, KnetHash hash, int sealedBudget)
    {
        int afterHash = sealedBudget - HashLengthOf(hash);
        if (cipher == KnetCipher.None)
        {
            return afterHash;
        }

        int cipherText = afterHash - SaltLength;
        return cipherText - (cipherText % BlockLength) - 1;
    }

    /// <summary>Bytes on the wire for a cleartext packet of <paramref name="plaintextLength"/> bytes with this configuration.</summary>
    public int SealedLength(int plaintextLength) => SealedLength(Cipher, Hash, plaintextLength);

    /// <summary>
    /// Seals <paramref name="packet"/> into <paramref name="destination"/> with a fresh random salt.
    /// <paramref name="destination"/> must not overlap <paramref name="packet"/>.
    /// </summary>
    public KnetCryptoStatus Seal(ReadOnlySpan<byte> packet, Span<byte> destination, out int written)
    {
        if (_saltPool is null)
        {
            return Seal(packet, default, destination, out written);
        }

        // Each salt is 16 fresh CSPRNG bytes used once; they are drawn 4 KiB at a time because one
        // RandomNumberGenerator call costs about as much as the HMAC of a full packet.
        if (_saltPoolOffset == SaltPoolLength)
        {
            RandomNumberGenerator.Fill(_saltPool);
            _saltPoolOffset = 0;
        }

        ReadOnlySpan<byte> salt = _saltPool.AsSpan(_saltPoolOffset, SaltLength);
        _saltPoolOffset += SaltLength;
        return Seal(packet, salt, destination, out written);
    }

    /// <summary>
    /// Seals with a given salt (16 bytes; ignored without a cipher). For tests and for re-sealing
    /// known bytes; a sender must use a fresh random salt per packet (the other overload).
    /// </summary>
    public KnetCryptoStatus Seal(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> salt, Span<byte> destination, out int written)
    {
        written = 0;
        if (packet.IsEmpty)
        {
            // Every knet packet has a 6-byte header. Hash-only would seal an empty one into a bare HMAC, which no
            // receiver opens (a sealed packet must be longer than its HMAC): refuse it here rather than send it.
            return KnetCryptoStatus.TooShort;
        }

        if (packet.Length > PacketLengthMax)
        {
            return KnetCryptoStatus.TooLong;
        }

        int sealedLength = SealedLength(packet.Length);
        if (destination.Length < sealedLength)
        {
            return KnetCryptoStatus.DestinationTooSmall;
        }

        int bodyLength;
        if (_aes is null)
        {
            packet.CopyTo(destination);
            bodyLength = packet.Length;
        }
        else
        {
            if (salt.Length != SaltLength)
            {
                throw new ArgumentException("the salt is 16 bytes", nameof(salt));
            }

            salt.CopyTo(destination);
            int whole = packet.Length - packet.Length % BlockLength;
            Span<byte> cipherText = destination.Slice(SaltLength, whole + BlockLength);
            if (whole > 0)
            {
                _aes.Encrypt(salt, packet[..whole], cipherText[..whole]);
            }

            // The last block: the packet's tail and PKCS#7 padding (a whole block of 16s when the packet is block-aligned).
            Span<byte> last = stackalloc byte[BlockLength];
            int tail = packet.Length - whole;
            packet[whole..].CopyTo(last);
            last[tail..].Fill((byte)(BlockLength - tail));
            ReadOnlySpan<byte> chain = whole > 0 ? cipherText.Slice(whole - BlockLength, BlockLength) : salt;
            _aes.Encrypt(chain, last, cipherText.Slice(whole, BlockLength));
            bodyLength = SaltLength + whole + BlockLength;
        }

        if (_hmac is not null)
        {
            _hmac.AppendData(destination[..bodyLength]);
            _hmac.GetHashAndReset(destination.Slice(bodyLength, HashLength));
        }

        written = sealedLength;
        return KnetCryptoStatus.Ok;
    }

    /// <summary>
    /// Verifies and decrypts <paramref name="datagram"/> in place. On <see cref="KnetCryptoStatus.Ok"/> the
    /// cleartext knet packet is <c>datagram.Slice(offset, length)</c>; on failure the bytes may be partly
    /// decrypted and must be dropped.
    /// </summary>
    public KnetCryptoStatus OpenInPlace(Span<byte> datagram, out int offset, out int length)
    {
        offset = 0;
        length = 0;
        KnetCryptoStatus status = Verify(datagram, out int bodyLength);
        if (status != KnetCryptoStatus.Ok)
        {
            return status;
        }

        if (_aes is null)
        {
            length = bodyLength;
            return KnetCryptoStatus.Ok;
        }

        Span<byte> cipherText = datagram[SaltLength..bodyLength];
        _aes.Decrypt(datagram[..SaltLength], cipherText, cipherText);
        status = StripPadding(cipherText, out length);
        offset = status == KnetCryptoStatus.Ok ? SaltLength : 0;
        return status;
    }

    /// <summary>Verifies and decrypts <paramref name="datagram"/> into <paramref name="destination"/> (which may not overlap it).</summary>
    public KnetCryptoStatus Open(ReadOnlySpan<byte> datagram, Span<byte> destination, out int written)
    {
        written = 0;
        KnetCryptoStatus status = Verify(datagram, out int bodyLength);
        if (status != KnetCryptoStatus.Ok)
        {
            return status;
        }

        if (_aes is null)
        {
            if (destination.Length < bodyLength)
            {
                return KnetCryptoStatus.DestinationTooSmall;
            }

            datagram[..bodyLength].CopyTo(destination);
            written = bodyLength;
            return KnetCryptoStatus.Ok;
        }

        int cipherLength = bodyLength - SaltLength;
        if (destination.Length < cipherLength)
        {
            return KnetCryptoStatus.DestinationTooSmall;
        }

        Span<byte> plain = destination[..cipherLength];
        _aes.Decrypt(datagram[..SaltLength], datagram[SaltLength..bodyLength], plain);
        status = StripPadding(plain, out written);
        return status;
    }

    public void Dispose()
    {
        _aes?.Dispose();
        _hmac?.Dispose();
    }

    /// <summary>Checks lengths and the HMAC; <paramref name="bodyLength"/> is what precedes the HMAC.</summary>
    private KnetCryptoStatus Verify(ReadOnlySpan<byte> datagram, out int bodyLength)
    {
        bodyLength = datagram.Length - HashLength;
        if (_hmac is not null)
        {
            if (datagram.Length <= HashLength)
            {
                return KnetCryptoStatus.TooShort;
            }

            if (datagram.Length > PacketLengthMax + HashLength)
            {
                return KnetCryptoStatus.TooLong;
            }
        }

        if (_aes is not null)
        {
            int cipherLength = bodyLength - SaltLength;
            if (cipherLength < BlockLength)
            {
                return KnetCryptoStatus.TooShort;
            }

            if (cipherLength % BlockLength != 0)
            {
                return KnetCryptoStatus.BadBlockLength;
            }
        }

        if (_hmac is not null)
        {
            Span<byte> expected = stackalloc byte[HashLengthMax];
            _hmac.AppendData(datagram[..bodyLength]);
            _hmac.GetHashAndReset(expected[..HashLength]);
            if (!CryptographicOperations.FixedTimeEquals(expected[..HashLength], datagram.Slice(bodyLength, HashLength)))
            {
                return KnetCryptoStatus.BadHmac;
            }
        }

        return KnetCryptoStatus.Ok;
    }

    private static KnetCryptoStatus StripPadding(ReadOnlySpan<byte> plain, out int length)
    {
        length = 0;
        int pad = plain[^1];
        if (pad is 0 or > BlockLength)
        {
            return KnetCryptoStatus.BadPadding;
        }

        for (int i = plain.Length - pad; i < plain.Length; i++)
        {
            if (plain[i] != pad)
            {
                return KnetCryptoStatus.BadPadding;
            }
        }

        length = plain.Length - pad;
        return KnetCryptoStatus.Ok;
    }

    private static HashAlgorithmName HashNameOf(KnetHash hash) => hash switch
    {
        KnetHash.Md5 => HashAlgorithmName.MD5,
        KnetHash.Sha1 => HashAlgorithmName.SHA1,
        KnetHash.Sha256 => HashAlgorithmName.SHA256,
        KnetHash.Sha384 => HashAlgorithmName.SHA384,
        KnetHash.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };
}
