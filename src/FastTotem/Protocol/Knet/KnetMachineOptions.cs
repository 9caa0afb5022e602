namespace FastTotem.Protocol.Knet;

/// <summary>Timers and priority of one knet link (the same on every host), from corosync.conf (totem.interface, mapped in Config).</summary>
internal sealed class KnetLinkOptions
{
    /// <summary>knet_ping_precision's default (libknet's).</summary>
    public const int DefaultPingPrecision = 2048;

    /// <summary>knet_pong_count's default (libknet's).</summary>
    public const int DefaultPongCount = 2;

    public required int LinkNumber { get; init; }

    public int Priority { get; init; } = 1;

    public required int PingIntervalMs { get; init; }

    /// <summary>pong_timeout: a PONG slower than this is discarded; silence of pong_timeout × backoff + 2 × latency takes the link down.</summary>
    public required int PingTimeoutMs { get; init; }

    public int PingPrecision { get; init; } = DefaultPingPrecision;

    public int PongCount { get; init; } = DefaultPongCount;

    /// <summary>IP + UDP header bytes on this link (28 for IPv4, 48 for IPv6).</summary>
    public int IpOverhead { get; init; } = KnetMtu.Ipv4Overhead;

    /// <summary>The local interface's MTU: where PMTUd starts (libknet learns it from the kernel's EMSGSIZE).</summary>
    public int InterfaceMtu { get; init; } = 1500;
}

/// <summary>One nodelist member as a knet host: its host id and its address on each link (unset where it has none).</summary>
internal sealed class KnetPeer
{
    public required ushort HostId { get; init; }

    public required KnetAddress[] LinkAddresses { get; init; }
}

/// <summary>Everything a <see cref="KnetMachine"/> is built from; fixed for its lifetime.</summary>
internal sealed class KnetMachineOptions
{
    /// <summary>knet_pmtud_interval's default, seconds.</summary>
    public const int DefaultPmtudIntervalS = 30;

    public required ushort LocalHostId { get; init; }

    /// <summary>Every host, the local one included (it gets no links: knet loops its own traffic back internally).</summary>
    public required KnetPeer[] Hosts { get; init; }

    public required KnetLinkOptions[] Links { get; init; }

    public KnetLinkMode LinkMode { get; init; } = KnetLinkMode.Passive;

    public int PmtudIntervalS { get; init; } = DefaultPmtudIntervalS;

    /// <summary>totem.knet_mtu: non-zero fixes every link's MTU to data_mtu(KnetMtu) and turns PMTUd off.</summary>
    public int FixedIpMtu { get; init; }

    /// <summary>null: cleartext knet.</summary>
    public IKnetCrypto? Crypto { get; init; }

    /// <summary>Largest data bytes per fragment FastTotem sends, whatever PMTUd found (bounds the send slots).</summary>
    public int SendFragmentMax { get; init; } = KnetMachine.SendFragmentMaxDefault;

    /// <summary>Reassembly buffers shared by all hosts (each 64 KiB); libknet keeps 32 per host.</summary>
    public int DefragBuffers { get; init; } = 64;
}
