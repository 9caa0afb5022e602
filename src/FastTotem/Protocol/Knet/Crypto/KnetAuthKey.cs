namespace FastTotem.Protocol.Knet.Crypto;

/// <summary>Outcome of <see cref="KnetAuthKey.Select"/>.</summary>
internal enum KnetAuthKeyStatus : byte
{
    Ok = 0,

    /// <summary>Fewer than <see cref="KnetAuthKey.LengthMin"/> bytes: corosync refuses to start.</summary>
    TooShort,
}

/// <summary>
/// corosync's rules for the authkey file's bytes (totemconfig.c read_keyfile): used raw, no hashing or
/// encoding; fewer than 128 bytes is refused, more than 4,096 are silently cut to the first 4,096.
/// The whole result keys the HMAC; its first 16/24/32 bytes key AES. See docs/knet.md.
/// </summary>
internal static class KnetAuthKey
{
    /// <summary>Shortest key accepted (KNET_MIN_KEY_LEN).</summary>
    public const int LengthMin = 128;

    /// <summary>Longest key used; longer files are truncated to this (KNET_MAX_KEY_LEN).</summary>
    public const int LengthMax = 4096;

    /// <summary>The key bytes corosync would use from a file holding <paramref name="fileBytes"/>.</summary>
    public static KnetAuthKeyStatus Select(ReadOnlySpan<byte> fileBytes, out ReadOnlySpan<byte> key)
    {
        if (fileBytes.Length < LengthMin)
        {
            key = default;
            return KnetAuthKeyStatus.TooShort;
        }

        key = fileBytes.Length > LengthMax ? fileBytes[..LengthMax] : fileBytes;
        return KnetAuthKeyStatus.Ok;
    }
}
