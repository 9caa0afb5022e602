using FastTotem.Protocol.Knet;
using FastTotem.Protocol.Knet.Crypto;

namespace FastTotem.Config;

/// <summary>totem.crypto_model: which library libknet loads. Both put the same bytes on the wire.</summary>
internal enum KnetCryptoModel
{
    Nss,
    Openssl,
}

/// <summary>Where the authkey comes from, in corosync's order (totemconfig.c totem_config_keyread).</summary>
internal enum KnetKeySource
{
    /// <summary>totem.keyfile.</summary>
    KeyFile,

    /// <summary>totem.key: the key's bytes inline in corosync.conf.</summary>
    Inline,

    /// <summary>Neither set: /etc/corosync/authkey.</summary>
    DefaultFile,
}

/// <summary>
/// One configured knet link (a <c>ringN_addr</c> present in the nodelist), with its
/// <c>totem.interface</c> settings and the timers corosync derives for it
/// (totemconfig.c calc_knet_ping_timers: ping timeout = token / pong_count,
/// ping interval = token / (2 × pong_count), token after the token_coefficient adjustment).
/// </summary>
internal sealed record KnetLinkConfig(
    int LinkNumber,
    int Port,
    int Priority,
    int PingIntervalMs,
    int PingTimeoutMs,
    int PingPrecision,
    int PongCount,
    int Line);

/// <summary>The knet part of a corosync.conf: links, link mode, PMTUd and crypto (docs/knet.md, "Configuration").</summary>
internal sealed class KnetConfig
{
    public const int LinkCountMax = KnetMachine.LinkMax;
    public const int DefaultPingPrecision = KnetLinkOptions.DefaultPingPrecision;
    public const int DefaultPongCount = KnetLinkOptions.DefaultPongCount;
    public const int DefaultPmtudIntervalS = KnetMachineOptions.DefaultPmtudIntervalS;
    public const int KeyLengthMin = KnetAuthKey.LengthMin;
    public const int KeyLengthMax = KnetAuthKey.LengthMax;
    public const string DefaultKeyFile = "/etc/corosync/authkey";

    /// <summary>totem.netmtu for knet when unset: knet's largest packet (KNET_MAX_PACKET_SIZE).</summary>
    public const int DefaultNetMtu = 65536;

    public required KnetLinkConfig[] Links { get; init; }

    public KnetLinkMode LinkMode { get; init; } = KnetLinkMode.Passive;

    public int PmtudIntervalS { get; init; } = DefaultPmtudIntervalS;

    /// <summary>totem.knet_mtu: 0 runs PMTUd; otherwise every link uses data_mtu(KnetMtu) and no probes go out.</summary>
    public int KnetMtu { get; init; }

    public KnetCipher Cipher { get; init; }

    public KnetHash Hash { get; init; }

    public KnetCryptoModel CryptoModel { get; init; }

    public bool CryptoEnabled => Cipher != KnetCipher.None || Hash != KnetHash.None;

    public KnetKeySource KeySource { get; init; } = KnetKeySource.DefaultFile;

    /// <summary>The key file's path (totem.keyfile, or /etc/corosync/authkey); null for an inline key.</summary>
    public string? KeyFile { get; init; }

    /// <summary>totem.key's bytes when the key is inline.</summary>
    public byte[]? InlineKey { get; init; }

    /// <summary>totem.netmtu was set explicitly (FastTotem's own frames may then be as large as that).</summary>
    public bool NetMtuSet { get; init; }

    /// <summary>The link with <paramref name="linkNumber"/>, or null when that ringN_addr is not configured.</summary>
    public KnetLinkConfig? Link(int linkNumber)
    {
        foreach (KnetLinkConfig l in Links)
        {
            if (l.LinkNumber == linkNumber)
            {
                return l;
            }
        }

        return null;
    }

    /// <summary>
    /// Reads the authkey as corosync does (totemconfig.c read_keyfile): the raw bytes, the first 4096 of a
    /// longer file, at least 128. Returns null when crypto is off. Errors name the file or key.
    /// </summary>
    public byte[]? LoadKey()
    {
        if (!CryptoEnabled)
        {
            return null;
        }

        if (KeySource == KnetKeySource.Inline)
        {
            byte[] inline = InlineKey!;
            if (inline.Length < KeyLengthMin)
            {
                throw new CorosyncConfigException($"totem.key is too short: {inline.Length} bytes, knet needs at least {KeyLengthMin}");
            }

            if (inline.Length > KeyLengthMax)
            {
                throw new CorosyncConfigException($"totem.key is too long: {inline.Length} bytes, knet takes at most {KeyLengthMax}");
            }

            return inline;
        }

        string path = KeyFile!;
        byte[] buffer = new byte[KeyLengthMax];
        int read;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            read = 0;
            while (read < buffer.Length)
            {
                int n = stream.Read(buffer, read, buffer.Length - read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorosyncConfigException($"cannot read the authkey {path}: {e.Message}");
        }

        if (KnetAuthKey.Select(buffer.AsSpan(0, read), out ReadOnlySpan<byte> key) != KnetAuthKeyStatus.Ok)
        {
            throw new CorosyncConfigException($"the authkey {path} has {read} bytes; knet needs at least {KeyLengthMin} (corosync-keygen writes 256)");
        }

        return key.ToArray();
    }
}
