using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Protocol.Knet;
using FastTotem.Protocol.Services;

namespace FastTotem.Config;

/// <summary>
/// The protocol layer's settings types built from a parsed corosync.conf. They live here, not beside the types, so
/// Protocol knows nothing of the reader: C# 14 static extensions keep the calls as they read before
/// (<c>VotequorumConfig.FromCorosyncConfig(...)</c>, <c>KnetMachineOptions.FromConfig(...)</c>).
/// </summary>
internal static class ProtocolSettingsFromConfig
{
    extension(VotequorumConfig)
    {
        /// <summary>From a parsed corosync.conf (quorum_votes per node and quorum.expected_votes).</summary>
        public static VotequorumConfig FromCorosyncConfig(CorosyncConfig config, uint nodeId)
        {
            ArgumentNullException.ThrowIfNull(config);
            var ids = new uint[config.Nodes.Count];
            var votes = new uint[config.Nodes.Count];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = config.Nodes[i].NodeId;
                votes[i] = config.Nodes[i].QuorumVotes;
            }

            return VotequorumConfig.FromNodelist(nodeId, ids, votes, config.ExpectedVotes);
        }
    }

    extension(KnetMachineOptions)
    {
        public static KnetMachineOptions FromConfig(KnetConfig config, ushort localHostId, KnetPeer[] hosts, int[] ipOverheadPerLink, int[] interfaceMtuPerLink, IKnetCrypto? crypto)
        {
            var links = new KnetLinkOptions[config.Links.Length];
            for (int i = 0; i < links.Length; i++)
            {
                KnetLinkConfig l = config.Links[i];
                links[i] = new KnetLinkOptions
                {
                    LinkNumber = l.LinkNumber,
                    Priority = l.Priority,
                    PingIntervalMs = l.PingIntervalMs,
                    PingTimeoutMs = l.PingTimeoutMs,
                    PingPrecision = l.PingPrecision,
                    PongCount = l.PongCount,
                    IpOverhead = ipOverheadPerLink[i],
                    InterfaceMtu = interfaceMtuPerLink[i],
                };
            }

            return new KnetMachineOptions
            {
                LocalHostId = localHostId,
                Hosts = hosts,
                Links = links,
                LinkMode = config.LinkMode,
                PmtudIntervalS = config.PmtudIntervalS,
                FixedIpMtu = config.KnetMtu,
                Crypto = crypto,
            };
        }
    }
}
