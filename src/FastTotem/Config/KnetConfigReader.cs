using FastTotem.Protocol.Knet;
using FastTotem.Protocol.Knet.Crypto;
using System.Text;

namespace FastTotem.Config;

/// <summary>
/// Reads the knet keys of corosync.conf (totem section and the nodelist's ringN_addr) into a
/// <see cref="KnetConfig"/>, deriving unset values as corosync 3.1.7 does (totemconfig.c). What FastTotem does not
/// speak is refused with the setting named and its line.
/// </summary>
internal static class KnetConfigReader
{
    public static KnetConfig Read(ConfigSection totem, CorosyncConfig config, string? fileName)
    {
        var r = new CorosyncConfig.Reader(fileName);

        // Links: a link exists when some node has its ringN_addr (totemconfig.c configured = 1 per member).
        var linkLine = new int[KnetConfig.LinkCountMax];
        bool[] present = new bool[KnetConfig.LinkCountMax];
        int linkCount = 0;
        foreach (ConfigNode node in config.Nodes)
        {
            for (int l = 0; l < KnetConfig.LinkCountMax; l++)
            {
                if (node.RingAddresses[l] != null && !present[l])
                {
                    present[l] = true;
                    linkLine[l] = node.Line;
                    linkCount++;
                }
            }
        }

        if (linkCount > 1)
        {
            foreach (ConfigNode node in config.Nodes)
            {
                if (node.Name == null)
                {
                    throw r.Error(node.Line, "for a multi-link configuration, all nodes must have a 'name' attribute (corosync's rule)");
                }
            }
        }

        var interfaces = new ConfigSection?[KnetConfig.LinkCountMax];
        foreach (ConfigSection iface in totem.All("interface"))
        {
            ConfigItem? number = iface.Find("linknumber") ?? iface.Find("ringnumber");
            int link = number == null ? 0 : r.Int(number, 0, KnetConfig.LinkCountMax - 1);
            interfaces[link] = iface;
        }

        int tokenMs = config.EffectiveTokenMs;
        var links = new List<KnetLinkConfig>(linkCount);
        for (int l = 0; l < KnetConfig.LinkCountMax; l++)
        {
            if (!present[l])
            {
                continue;
            }

            ConfigSection? iface = interfaces[l];
            int port = CorosyncConfig.DefaultMcastPort + l;
            int priority = 1;
            int pingInterval = 0;
            int pingTimeout = 0;
            int precision = KnetConfig.DefaultPingPrecision;
            int pongCount = KnetConfig.DefaultPongCount;
            if (iface != null)
            {
                if (iface.Find("mcastport") is { } mp)
                {
                    port = r.Int(mp, 1, 65535);
                }

                if (iface.Find("knet_link_priority") is { } pri)
                {
                    priority = r.Int(pri, 0, 255);
                }

                if (iface.Find("knet_ping_interval") is { } pi)
                {
                    pingInterval = r.Int(pi, 0, int.MaxValue / 4);
                }

                if (iface.Find("knet_ping_timeout") is { } pt)
                {
                    pingTimeout = r.Int(pt, 0, int.MaxValue / 4);
                }

                if (iface.Find("knet_ping_precision") is { } pp)
                {
                    precision = r.Int(pp, 1, int.MaxValue / 4);
                }

                if (iface.Find("knet_pong_count") is { } pc)
                {
                    pongCount = r.Int(pc, 0, 255);
                }

                if (iface.Find("knet_transport") is { } kt)
                {
                    if (kt.Value == "sctp")
                    {
                        throw r.Error(kt, "knet_transport 'sctp' is not supported: FastTotem speaks knet over UDP only (Debian's libknet has no SCTP either); set 'knet_transport: udp' or remove it");
                    }

                    if (kt.Value != "udp")
                    {
                        throw r.Error(kt, $"unrecognised knet_transport '{kt.Value}': expected 'udp' or 'sctp'");
                    }
                }
            }

            // calc_knet_ping_timers: 0 means "derive"; a pong count of 0 becomes the default first.
            if (pongCount == 0)
            {
                pongCount = KnetConfig.DefaultPongCount;
            }

            if (pingTimeout == 0)
            {
                pingTimeout = tokenMs / pongCount;
            }

            if (pingInterval == 0)
            {
                pingInterval = tokenMs / (pongCount * 2);
            }

            links.Add(new KnetLinkConfig(l, port, priority, pingInterval, pingTimeout, precision, pongCount, iface?.Line ?? linkLine[l]));
        }

        KnetLinkMode mode = KnetLinkMode.Passive;
        if (totem.Find("link_mode") is { } lm)
        {
            mode = lm.Value switch
            {
                "passive" => KnetLinkMode.Passive,
                "active" => KnetLinkMode.Active,
                "rr" => KnetLinkMode.RoundRobin,
                _ => throw r.Error(lm, $"the knet link mode '{lm.Value}' is invalid: it must be active, passive or rr"),
            };
        }

        int pmtud = KnetConfig.DefaultPmtudIntervalS;
        if (totem.Find("knet_pmtud_interval") is { } pmi)
        {
            pmtud = r.Int(pmi, 1, 86400);
        }

        int knetMtu = 0;
        if (totem.Find("knet_mtu") is { } km)
        {
            knetMtu = r.Int(km, 0, 65535);
        }

        if (totem.Find("knet_compression_model") is { } cm && cm.Value != "none")
        {
            throw r.Error(cm, $"knet_compression_model '{cm.Value}' is not supported: FastTotem sends and accepts uncompressed knet only; set 'knet_compression_model: none' on every node (corosync's default)");
        }

        (KnetCipher cipher, KnetHash hash, KnetCryptoModel model) = ReadCrypto(totem, r);
        KnetKeySource source = KnetKeySource.DefaultFile;
        string? keyFile = KnetConfig.DefaultKeyFile;
        byte[]? inline = null;
        if (totem.Find("keyfile") is { } kf)
        {
            source = KnetKeySource.KeyFile;
            keyFile = kf.Value;
        }
        else if (totem.Find("key") is { } key)
        {
            source = KnetKeySource.Inline;
            keyFile = null;
            inline = Encoding.UTF8.GetBytes(key.Value);
            if (cipher != KnetCipher.None || hash != KnetHash.None)
            {
                if (inline.Length < KnetConfig.KeyLengthMin)
                {
                    throw r.Error(key, $"totem.key is too short: {inline.Length} bytes, knet needs at least {KnetConfig.KeyLengthMin}");
                }

                if (inline.Length > KnetConfig.KeyLengthMax)
                {
                    throw r.Error(key, $"totem.key is too long: {inline.Length} bytes, knet takes at most {KnetConfig.KeyLengthMax}");
                }
            }
        }

        return new KnetConfig
        {
            Links = links.ToArray(),
            LinkMode = mode,
            PmtudIntervalS = pmtud,
            KnetMtu = knetMtu,
            Cipher = cipher,
            Hash = hash,
            CryptoModel = model,
            KeySource = source,
            KeyFile = keyFile,
            InlineKey = inline,
            NetMtuSet = totem.Find("netmtu") != null,
        };
    }

    /// <summary>totemconfig.c totem_get_crypto: secauth on = aes256 + sha256; crypto_cipher / crypto_hash override it.</summary>
    private static (KnetCipher, KnetHash, KnetCryptoModel) ReadCrypto(ConfigSection totem, CorosyncConfig.Reader r)
    {
        KnetCipher cipher = KnetCipher.None;
        KnetHash hash = KnetHash.None;
        KnetCryptoModel model = KnetCryptoModel.Nss;
        ConfigItem? where = null;
        if (totem.Find("crypto_model") is { } m)
        {
            model = m.Value switch
            {
                "nss" => KnetCryptoModel.Nss,
                "openssl" => KnetCryptoModel.Openssl,
                _ => throw r.Error(m, $"crypto_model '{m.Value}' is invalid: use nss or openssl (both put the same bytes on the wire)"),
            };
        }

        if (totem.Find("secauth") is { } secauth)
        {
            where = secauth;
            if (secauth.Value == "on")
            {
                cipher = KnetCipher.Aes256;
                hash = KnetHash.Sha256;
            }
        }

        if (totem.Find("crypto_cipher") is { } c)
        {
            where = c;
            cipher = c.Value switch
            {
                "none" => KnetCipher.None,
                "aes128" => KnetCipher.Aes128,
                "aes192" => KnetCipher.Aes192,
                "aes256" => KnetCipher.Aes256,
                _ => throw r.Error(c, $"crypto_cipher '{c.Value}' is invalid: use none, aes128, aes192 or aes256"),
            };
        }

        ConfigItem? hashItem = totem.Find("crypto_hash");
        if (hashItem != null)
        {
            hash = hashItem.Value switch
            {
                "none" => KnetHash.None,
                "md5" => KnetHash.Md5,
                "sha1" => KnetHash.Sha1,
                "sha256" => KnetHash.Sha256,
                "sha384" => KnetHash.Sha384,
                "sha512" => KnetHash.Sha512,
                _ => throw r.Error(hashItem, $"crypto_hash '{hashItem.Value}' is invalid: use none, md5, sha1, sha256, sha384 or sha512"),
            };
        }

        if (cipher != KnetCipher.None && hash == KnetHash.None)
        {
            throw r.Error(where ?? hashItem!, "crypto_cipher requires crypto_hash with value other than none");
        }

        if (cipher == KnetCipher.None && hash != KnetHash.None)
        {
            throw r.Error(hashItem ?? where!, $"crypto_hash '{hashItem?.Value}' with crypto_cipher none (hash-only crypto) is refused: libknet 1.25 leaves part of its crypto state unset in that mode and corosync peers then compute wrong MTUs and drop traffic (docs/knet.md); set crypto_cipher to aes256 too, or both to none");
        }

        return (cipher, hash, model);
    }
}
