using FastTotem.Protocol.Srp;

namespace FastTotem.Config;

/// <summary>Turns a corosync.conf into the engine's settings, deriving unset timers as corosync does.</summary>
internal static class SrpConfigFactory
{
    /// <summary>The data MTU of one knet packet on a 1500-byte path with this crypto (1446 cleartext, 1397 aes+sha256 over IPv4).</summary>
    public static int KnetSendMtu(KnetConfig knet, TotemIpVersion ipVersion)
    {
        var mtu = new FastTotem.Protocol.Knet.KnetMtu(knet.Cipher != FastTotem.Protocol.Knet.Crypto.KnetCipher.None, FastTotem.Protocol.Knet.Crypto.KnetCrypto.HashLengthOf(knet.Hash));
        int overhead = ipVersion == TotemIpVersion.Ipv6 ? FastTotem.Protocol.Knet.KnetMtu.Ipv6Overhead : FastTotem.Protocol.Knet.KnetMtu.Ipv4Overhead;
        return mtu.DataMtu(1500, overhead);
    }

    public static SrpConfig Create(CorosyncConfig config, uint localNodeId)
    {
        SrpConfig srp = SrpConfig.CorosyncDefaults(localNodeId, config.NodeIds(), config.TokenMs, config.TokenCoefficientMs);

        // Keys set explicitly win; the timers derived from others follow corosync's order
        // (totemconfig.c totem_volatile_config_read): token, then retransmit, then hold, then consensus.
        if (config.TokenRetransmitsBeforeLossConst is int retransmits)
        {
            int retransmitMs = (int)(srp.TokenMs / (retransmits + 0.2));
            srp = srp with
            {
                TokenRetransmitsBeforeLoss = retransmits,
                TokenRetransmitMs = retransmitMs,
                HoldMs = (int)(retransmitMs * 0.8 - 10),
            };
        }

        srp = srp with
        {
            TokenRetransmitMs = config.TokenRetransmitMs ?? srp.TokenRetransmitMs,
            HoldMs = config.HoldMs ?? (config.TokenRetransmitMs is int r ? (int)(r * 0.8 - 10) : srp.HoldMs),
            ConsensusMs = config.ConsensusMs ?? srp.ConsensusMs,
            JoinMs = config.JoinMs ?? srp.JoinMs,
            MergeMs = config.MergeMs ?? srp.MergeMs,
            DowncheckMs = config.DowncheckMs ?? srp.DowncheckMs,
            FailRecvConst = config.FailRecvConst ?? srp.FailRecvConst,
            SeqnoUnchangedConst = config.SeqnoUnchangedConst ?? srp.SeqnoUnchangedConst,
            MissCountConst = config.MissCountConst ?? srp.MissCountConst,
            WindowSize = config.WindowSize ?? srp.WindowSize,
            MaxMessages = config.MaxMessages ?? srp.MaxMessages,
            NetMtu = config.NetMtu,
            BindIdentity = config.BindIdentity,
            Accelerated = config.Accelerated,
        };
        if (config.Knet is { } knet)
        {
            // corosync's frames over knet reach 65,536 bytes, so the engine stores frames that large (netmtu 65536);
            // FastTotem's own frames fit one knet packet on a 1500-byte path unless totem.netmtu says otherwise.
            srp = srp with { SendMtu = knet.NetMtuSet ? config.NetMtu : KnetSendMtu(knet, config.IpVersion) };
        }

        Validate(srp, config.TokenRetransmitMs is not null);
        return srp;
    }

    /// <summary>corosync's MINIMUM_TIMEOUT (3 ticks of HZ 100) and MINIMUM_TIMEOUT_HOLD.</summary>
    private const int MinimumTimeoutMs = 30;
    private const int MinimumHoldMs = (int)(MinimumTimeoutMs * 0.8 - 10);

    /// <summary>
    /// totem_volatile_config_validate (totemconfig.c), its timer rules and messages: a retransmit or hold below the
    /// minimum would make the token timers fire in a busy loop.
    /// </summary>
    private static void Validate(SrpConfig srp, bool retransmitSet)
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new CorosyncConfigException(message, 0);
            }
        }

        Check(srp.TokenMs >= MinimumTimeoutMs, $"The token timeout parameter ({srp.TokenMs} ms) may not be less than ({MinimumTimeoutMs} ms).");
        Check(srp.TokenRetransmitMs >= MinimumTimeoutMs, retransmitSet
            ? $"The token retransmit timeout parameter ({srp.TokenRetransmitMs} ms) may not be less than ({MinimumTimeoutMs} ms)."
            : "Not appropriate token or token_retransmits_before_loss_const value set");
        Check(srp.HoldMs >= MinimumHoldMs, $"The token hold timeout parameter ({srp.HoldMs} ms) may not be less than ({MinimumHoldMs} ms).");
        Check(srp.JoinMs >= MinimumTimeoutMs, $"The join timeout parameter ({srp.JoinMs} ms) may not be less than ({MinimumTimeoutMs} ms).");
        Check(srp.ConsensusMs >= MinimumTimeoutMs, $"The consensus timeout parameter ({srp.ConsensusMs} ms) may not be less than ({MinimumTimeoutMs} ms).");
        Check(srp.ConsensusMs >= srp.JoinMs, $"The consensus timeout parameter ({srp.ConsensusMs} ms) may not be less than join timeout ({srp.JoinMs} ms).");
        Check(srp.MergeMs >= MinimumTimeoutMs, $"The merge timeout parameter ({srp.MergeMs} ms) may not be less than ({MinimumTimeoutMs} ms).");
        Check(srp.DowncheckMs >= MinimumTimeoutMs, $"The downcheck timeout parameter ({srp.DowncheckMs} ms) may not be less than ({MinimumTimeoutMs} ms).");
    }
}
