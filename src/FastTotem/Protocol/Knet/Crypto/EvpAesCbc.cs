using FastTotem.Protocol.Knet.Crypto.Interop;

namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>
/// AES-CBC through OpenSSL's EVP API with one context per direction, set up once: each call only resets the IV
/// and runs the blocks, so nothing is allocated per call. Padding is off (the caller pads). Not thread-safe.
/// </summary>
internal sealed unsafe class EvpAesCbc : IDisposable
{
    private nint _encrypt;
    private nint _decrypt;

    public EvpAesCbc(ReadOnlySpan<byte> key)
    {
        nint cipher = key.Length switch
        {
            16 => LibCrypto.EVP_aes_128_cbc(),
            24 => LibCrypto.EVP_aes_192_cbc(),
            32 => LibCrypto.EVP_aes_256_cbc(),
            _ => throw new ArgumentException("AES key must be 16, 24 or 32 bytes", nameof(key)),
        };
        _encrypt = NewContext(cipher, key, encrypt: 1);
        _decrypt = NewContext(cipher, key, encrypt: 0);
    }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination) => Run(_encrypt, iv, source, destination);

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination) => Run(_decrypt, iv, source, destination);

    public void Dispose()
    {
        if (_encrypt != 0)
        {
            LibCrypto.EVP_CIPHER_CTX_free(_encrypt);
            _encrypt = 0;
        }

        if (_decrypt != 0)
        {
            LibCrypto.EVP_CIPHER_CTX_free(_decrypt);
            _decrypt = 0;
        }
    }

    private static nint NewContext(nint cipher, ReadOnlySpan<byte> key, int encrypt)
    {
        nint context = LibCrypto.EVP_CIPHER_CTX_new();
        fixed (byte* keyBytes = key)
        {
            if (context == 0
                || LibCrypto.EVP_CipherInit_ex(context, cipher, 0, keyBytes, null, encrypt) != 1
                || LibCrypto.EVP_CIPHER_CTX_set_padding(context, 0) != 1)
            {
                LibCrypto.EVP_CIPHER_CTX_free(context);
                throw new InvalidOperationException("libcrypto refused to set up AES-CBC");
            }
        }

        return context;
    }

    private static void Run(nint context, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int written = 0;
        fixed (byte* ivBytes = iv)
        fixed (byte* input = source)
        fixed (byte* output = destination)
        {
            // New IV only; key and direction stay. With padding off, Update returns every whole block at once.
            if (LibCrypto.EVP_CipherInit_ex(context, 0, 0, null, ivBytes, -1) != 1
                || LibCrypto.EVP_CipherUpdate(context, output, &written, input, source.Length) != 1
                || written != source.Length)
            {
                ThrowFailed();
            }
        }
    }

    private static void ThrowFailed() => throw new InvalidOperationException("libcrypto AES-CBC failed");
}
