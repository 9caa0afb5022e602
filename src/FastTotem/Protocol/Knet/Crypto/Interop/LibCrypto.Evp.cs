using System.Runtime.InteropServices;

namespace FastTotem.Protocol.Knet.Crypto.Interop;

/// <summary>
/// The few OpenSSL 3 EVP cipher calls (openssl/evp.h) the AES-CBC fallback needs on CPUs without AES-NI.
/// Kept next to the crypto rather than in Transport/Interop: the Protocol layer must not depend on Transport.
/// </summary>
internal static partial class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    [LibraryImport(Library)]
    internal static partial nint EVP_CIPHER_CTX_new();

    [LibraryImport(Library)]
    internal static partial void EVP_CIPHER_CTX_free(nint context);

    [LibraryImport(Library)]
    internal static partial nint EVP_aes_128_cbc();

    [LibraryImport(Library)]
    internal static partial nint EVP_aes_192_cbc();

    [LibraryImport(Library)]
    internal static partial nint EVP_aes_256_cbc();

    /// <summary>enc: 1 encrypt, 0 decrypt, -1 keep; null cipher/key/iv keep the current ones.</summary>
    [LibraryImport(Library)]
    internal static unsafe partial int EVP_CipherInit_ex(nint context, nint cipher, nint engine, byte* key, byte* iv, int enc);

    [LibraryImport(Library)]
    internal static partial int EVP_CIPHER_CTX_set_padding(nint context, int padding);

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_CipherUpdate(nint context, byte* output, int* outputLength, byte* input, int inputLength);

    /// <summary>True when libcrypto.so.3 loads (it is what .NET itself uses for crypto on Linux).</summary>
    internal static bool IsAvailable { get; } = Probe();

    private static bool Probe()
    {
        try
        {
            return NativeLibrary.TryLoad(Library, out _) && EVP_aes_128_cbc() != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
