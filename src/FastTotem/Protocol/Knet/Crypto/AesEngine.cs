namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>Which AES-CBC implementation <see cref="AesCbc"/> uses.</summary>
internal enum AesEngine : byte
{
    /// <summary>AES-NI if the CPU has it, else libcrypto's EVP, else the managed fallback.</summary>
    Best = 0,

    /// <summary>System.Runtime.Intrinsics.X86.Aes.</summary>
    AesNi,

    /// <summary>OpenSSL 3 EVP, one context per direction.</summary>
    LibCrypto,

    /// <summary>System.Security.Cryptography.Aes instance API (allocates 64 B per call).</summary>
    Managed,
}
