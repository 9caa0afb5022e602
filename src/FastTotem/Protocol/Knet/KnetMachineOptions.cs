using FastTotem.Hosting.Config;

namespace FastTotem.Protocol.Knet;

/// <summary>Timers and priority of one knet link (the same on every host), from corosync.conf (<see cref="KnetLinkConfig"/>).</summary>
public sealed class KnetLinkOptions
{
    public required int LinkNumber { get; init; }

    public int Priority { get; init; } = 1;

    public required int PingIntervalMs { get; init; }

    /// <summary>pong_timeout: a PONG slower than this is discarded; silence of pong_timeout × backoff + 2 × latency takes the link down.</summary>
    public required int PingTimeoutMs { get; init; }

    public int PingPrecision { get; init; } = KnetConfig.DefaultPingPrecision;

    public int PongCount { get; init; } = KnetConfig.DefaultPongCount;

    /// <summary>IP + UDP header bytes on this link (28 for IPv4, 48 for IPv6).</summary>
    public int IpOverhead { get; init; } = KnetMtu.Ipv4Overhead;

    /// <summary>The local interface's MTU: where PMTUd starts (libknet learns it from the kernel's EMSGSIZE).</summary>
    public int InterfaceMtu { get; init; } = 1500;
}

/// <summary>One nodelist member as a knet host: its host id and its address on each link (unset where it has none).</summary>
public sealed class KnetPeer
{
    public required ushort HostId { get; init; }

    public required KnetAddress[] LinkAddresses { get; init; }
}

/// <summary>Everything a <see cref="KnetMachine"/> is built from; fixed for its lifetime.</summary>
public sealed class KnetMachineOptions
{
    public required ushort LocalHostId { get; init; }

    /// <summary>Every host, the local one included (it gets no links: knet loops its own traffic back internally).</summary>
    public required KnetPeer[] Hosts { get; init; }

    public required KnetLinkOptions[] Links { get; init; }

    public KnetLinkMode LinkMode { get; init; } = KnetLinkMode.Passive;

    public int PmtudIntervalS { get; init; } = KnetConfig.DefaultPmtudIntervalS;

    /// <summary>totem.knet_mtu: non-zero fixes every link's MTU to data_mtu(KnetMtu) and turns PMTUd off.</summary>
    public int FixedIpMtu { get; init; }

    /// <summary>null: cleartext knet.</summary>
    public IKnetCrypto? Crypto { get; init; }

    /// <summary>Largest data bytes per fragment FastTotem sends, whatever PMTUd found (bounds the send slots).</summary>
    public int SendFragmentMax { get; init; } = KnetMachine.SendFragmentMaxDefault;

    /// <summary>Reassembly buffers shared by all hosts (each 64 KiB); libknet keeps 32 per host.</summary>
    public int DefragBuffers { get; init; } = 64;

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
