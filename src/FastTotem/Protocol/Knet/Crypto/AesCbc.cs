using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using FastTotem.Protocol.Knet.Crypto.Interop;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>
/// AES-CBC for one key, without per-call allocation. Uses AES-NI when the CPU has it (round keys
/// expanded once, FIPS-197); otherwise OpenSSL's EVP through one reused context per direction
/// (<see cref="EvpAesCbc"/>, no allocation either); and only when libcrypto cannot be loaded the managed
/// <see cref="System.Security.Cryptography.Aes"/> instance API, which is correct but allocates 64 B per call on
/// Linux (.NET 10). Padding is the caller's job: these methods work on whole 16-byte blocks. Not thread-safe.
/// </summary>
internal sealed class AesCbc : IDisposable
{
    public const int BlockSize = 16;

    private static readonly byte[] SBox = BuildSBox();

    private readonly byte[] _encryptKeys;
    private readonly byte[] _decryptKeys;
    private readonly int _rounds;
    private readonly EvpAesCbc? _evp;
    private readonly System.Security.Cryptography.Aes? _fallback;

    /// <param name="key">16, 24 or 32 bytes.</param>
    /// <param name="engine">Which implementation; <see cref="AesEngine.Best"/> picks the first available.</param>
    public AesCbc(ReadOnlySpan<byte> key, AesEngine engine = AesEngine.Best)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException("AES key must be 16, 24 or 32 bytes", nameof(key));
        }

        _rounds = key.Length / 4 + 6;
        _encryptKeys = new byte[BlockSize * (_rounds + 1)];
        _decryptKeys = new byte[BlockSize * (_rounds + 1)];
        if (engine == AesEngine.Best)
        {
            engine = X86Aes.IsSupported ? AesEngine.AesNi : LibCrypto.IsAvailable ? AesEngine.LibCrypto : AesEngine.Managed;
        }

        Engine = engine;
        switch (engine)
        {
            case AesEngine.AesNi:
                ExpandKey(key, _encryptKeys);
                BuildDecryptKeys();
                break;
            case AesEngine.LibCrypto:
                _evp = new EvpAesCbc(key);
                break;
            default:
                _fallback = System.Security.Cryptography.Aes.Create();
                _fallback.Key = key.ToArray();
                break;
        }
    }

    /// <summary>The implementation in use.</summary>
    public AesEngine Engine { get; }

    /// <summary>True unless the allocating managed fallback is in use.</summary>
    public bool IsAllocationFree => _fallback is null;

    /// <summary>CBC-encrypts whole blocks of <paramref name="source"/> into <paramref name="destination"/> (same length; may be the same memory).</summary>
    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (_evp is not null)
        {
            _evp.Encrypt(iv, source, destination);
            return;
        }

        if (_fallback is not null)
        {
            _fallback.EncryptCbc(source, iv, destination, PaddingMode.None);
            return;
        }

        EncryptHardware(iv, source, destination);
    }

    /// <summary>CBC-decrypts whole blocks of <paramref name="source"/> into <paramref name="destination"/> (same length; may be the same memory).</summary>
    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (_evp is not null)
        {
            _evp.Decrypt(iv, source, destination);
            return;
        }

        if (_fallback is not null)
        {
            _fallback.DecryptCbc(source, iv, destination, PaddingMode.None);
            return;
        }

        DecryptHardware(iv, source, destination);
    }

    public void Dispose()
    {
        _evp?.Dispose();
        _fallback?.Dispose();
    }

    private void EncryptHardware(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ref byte keys = ref MemoryMarshal.GetArrayDataReference(_encryptKeys);
        int rounds = _rounds;
        Vector128<byte> chain = Vector128.Create(iv);
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        for (int offset = 0; offset < source.Length; offset += BlockSize)
        {
            chain = EncryptBlock(Vector128.LoadUnsafe(ref src, (nuint)offset) ^ chain, ref keys, rounds);
            chain.StoreUnsafe(ref dst, (nuint)offset);
        }
    }

    private void DecryptHardware(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ref byte keys = ref MemoryMarshal.GetArrayDataReference(_decryptKeys);
        int rounds = _rounds;
        Vector128<byte> chain = Vector128.Create(iv);
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        int offset = 0;

        // Four blocks at a time: CBC decryption is parallel, and AES-NI has several rounds in flight.
        for (; offset + 4 * BlockSize <= source.Length; offset += 4 * BlockSize)
        {
            Vector128<byte> c0 = Vector128.LoadUnsafe(ref src, (nuint)offset);
            Vector128<byte> c1 = Vector128.LoadUnsafe(ref src, (nuint)(offset + 16));
            Vector128<byte> c2 = Vector128.LoadUnsafe(ref src, (nuint)(offset + 32));
            Vector128<byte> c3 = Vector128.LoadUnsafe(ref src, (nuint)(offset + 48));
            Vector128<byte> k = Vector128.LoadUnsafe(ref keys);
            Vector128<byte> s0 = c0 ^ k, s1 = c1 ^ k, s2 = c2 ^ k, s3 = c3 ^ k;
            for (int round = 1; round < rounds; round++)
            {
                k = Vector128.LoadUnsafe(ref keys, (nuint)(round * BlockSize));
                s0 = X86Aes.Decrypt(s0, k);
                s1 = X86Aes.Decrypt(s1, k);
                s2 = X86Aes.Decrypt(s2, k);
                s3 = X86Aes.Decrypt(s3, k);
            }

            k = Vector128.LoadUnsafe(ref keys, (nuint)(rounds * BlockSize));
            (X86Aes.DecryptLast(s0, k) ^ chain).StoreUnsafe(ref dst, (nuint)offset);
            (X86Aes.DecryptLast(s1, k) ^ c0).StoreUnsafe(ref dst, (nuint)(offset + 16));
            (X86Aes.DecryptLast(s2, k) ^ c1).StoreUnsafe(ref dst, (nuint)(offset + 32));
            (X86Aes.DecryptLast(s3, k) ^ c2).StoreUnsafe(ref dst, (nuint)(offset + 48));
            chain = c3;
        }

        for (; offset < source.Length; offset += BlockSize)
        {
            Vector128<byte> cipher = Vector128.LoadUnsafe(ref src, (nuint)offset);
            (DecryptBlock(cipher, ref keys, rounds) ^ chain).StoreUnsafe(ref dst, (nuint)offset);
            chain = cipher;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> EncryptBlock(Vector128<byte> block, ref byte keys, int rounds)
    {
        Vector128<byte> state = block ^ Vector128.LoadUnsafe(ref keys);
        for (int round = 1; round < rounds; round++)
        {
            state = X86Aes.Encrypt(state, Vector128.LoadUnsafe(ref keys, (nuint)(round * BlockSize)));
        }

        return X86Aes.EncryptLast(state, Vector128.LoadUnsafe(ref keys, (nuint)(rounds * BlockSize)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> DecryptBlock(Vector128<byte> block, ref byte keys, int rounds)
    {
        Vector128<byte> state = block ^ Vector128.LoadUnsafe(ref keys);
        for (int round = 1; round < rounds; round++)
        {
            state = X86Aes.Decrypt(state, Vector128.LoadUnsafe(ref keys, (nuint)(round * BlockSize)));
        }

        return X86Aes.DecryptLast(state, Vector128.LoadUnsafe(ref keys, (nuint)(rounds * BlockSize)));
    }

    /// <summary>The equivalent inverse cipher's schedule: encryption keys reversed, inner ones through InvMixColumns.</summary>
    private void BuildDecryptKeys()
    {
        int rounds = _rounds;
        _encryptKeys.AsSpan(rounds * BlockSize, BlockSize).CopyTo(_decryptKeys);
        _encryptKeys.AsSpan(0, BlockSize).CopyTo(_decryptKeys.AsSpan(rounds * BlockSize));
        for (int round = 1; round < rounds; round++)
        {
            Vector128<byte> key = Vector128.Create(_encryptKeys.AsSpan((rounds - round) * BlockSize, BlockSize));
            X86Aes.InverseMixColumns(key).CopyTo(_decryptKeys.AsSpan(round * BlockSize));
        }
    }

    /// <summary>FIPS-197 §5.2 key expansion, byte-wise; the round keys come out in the order AES-NI reads them.</summary>
    private static void ExpandKey(ReadOnlySpan<byte> key, Span<byte> schedule)
    {
        int keyLength = key.Length;
        int wordsInKey = keyLength / 4;
        key.CopyTo(schedule);
        Span<byte> word = stackalloc byte[4];
        byte roundConstant = 1;
        for (int i = keyLength; i < schedule.Length; i += 4)
        {
            schedule.Slice(i - 4, 4).CopyTo(word);
            int wordIndex = i / 4;
            if (wordIndex % wordsInKey == 0)
            {
                byte first = word[0];
                word[0] = (byte)(SBox[word[1]] ^ roundConstant);
                word[1] = SBox[word[2]];
                word[2] = SBox[word[3]];
                word[3] = SBox[first];
                roundConstant = TimesTwo(roundConstant);
            }
            else if (wordsInKey > 6 && wordIndex % wordsInKey == 4)
            {
                for (int j = 0; j < 4; j++)
                {
                    word[j] = SBox[word[j]];
                }
            }

            for (int j = 0; j < 4; j++)
            {
                schedule[i + j] = (byte)(schedule[i - keyLength + j] ^ word[j]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte TimesTwo(byte value) => (byte)((value << 1) ^ ((value & 0x80) != 0 ? 0x1B : 0));

    /// <summary>The AES S-box from its definition: multiplicative inverse in GF(2^8), then the affine map.</summary>
    private static byte[] BuildSBox()
    {
        var box = new byte[256];
        byte p = 1;
        byte q = 1;
        do
        {
            p = (byte)(p ^ TimesTwo(p)); // p *= 3
            q ^= (byte)(q << 1); // q /= 3
            q ^= (byte)(q << 2);
            q ^= (byte)(q << 4);
            if ((q & 0x80) != 0)
            {
                q ^= 0x09;
            }

            int affine = q ^ RotateLeft(q, 1) ^ RotateLeft(q, 2) ^ RotateLeft(q, 3) ^ RotateLeft(q, 4);
            box[p] = (byte)(affine ^ 0x63);
        }
        while (p != 1);

        box[0] = 0x63;
        return box;
    }

    private static byte RotateLeft(byte value, int shift) => (byte)((value << shift) | (value >> (8 - shift)));
}
