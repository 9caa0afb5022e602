using FastTotem.Protocol.Srp;

namespace FastTotem.Hosting.Config;

/// <summary>Turns a corosync.conf into the engine's settings, deriving unset timers as corosync does.</summary>
public static class SrpConfigFactory
{
    public static SrpConfig Create(CorosyncConfig config, uint localNodeId)
    {
        SrpConfig srp = SrpConfig.CorosyncDefaults(localNodeId, config.NodeIds(), config.TokenMs, config.TokenCoefficientMs);

        // Keys set explicitly win; the timers derived from others follow corosync's order
        // (totemconfig.c totem_volatile_config_read): token, then retransmit, then hold, then consensus.
        if (config.TokenRetransmitsBeforeLossConst is int retransmits)
        {
            srp.TokenRetransmitsBeforeLoss = retransmits;
            srp.TokenRetransmitMs = (int)(srp.TokenMs / (retransmits + 0.2));
            srp.HoldMs = (int)(srp.TokenRetransmitMs * 0.8 - 10);
        }

        srp.TokenRetransmitMs = config.TokenRetransmitMs ?? srp.TokenRetransmitMs;
        srp.HoldMs = config.HoldMs ?? (config.TokenRetransmitMs is int r ? (int)(r * 0.8 - 10) : srp.HoldMs);
        srp.ConsensusMs = config.ConsensusMs ?? srp.ConsensusMs;
        srp.JoinMs = config.JoinMs ?? srp.JoinMs;
        srp.MergeMs = config.MergeMs ?? srp.MergeMs;
        srp.DowncheckMs = config.DowncheckMs ?? srp.DowncheckMs;
        srp.FailRecvConst = config.FailRecvConst ?? srp.FailRecvConst;
        srp.SeqnoUnchangedConst = config.SeqnoUnchangedConst ?? srp.SeqnoUnchangedConst;
        srp.MissCountConst = config.MissCountConst ?? srp.MissCountConst;
        srp.WindowSize = config.WindowSize ?? srp.WindowSize;
        srp.MaxMessages = config.MaxMessages ?? srp.MaxMessages;
        srp.NetMtu = config.NetMtu;
        srp.BindIdentity = config.BindIdentity;
        return srp;
    }
}
