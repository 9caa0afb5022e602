using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastTotem.Config;
using FastTotem.Protocol.Knet;
using FastTotem.Protocol.Knet.Crypto;
using Tmds.Linux;

namespace FastTotem.Transport;

/// <summary>
/// corosync's knet transport on Linux sockets (docs/knet.md, "Live"): one UDP socket per link, bound to the local
/// ringN_addr and the link's port, sending every packet of that link to the peer's ringN_addr on the same port.
/// The <see cref="KnetMachine"/> does the protocol; this class only moves its datagrams, feeds it the clock, applies
/// totemknet's target_nodeid routing and reports what the machine saw through <see cref="Log"/>.
/// Nothing on the receive, send or timer path allocates (log lines are made only when links change or drops rise).
/// </summary>
internal sealed unsafe class KnetTransport : IDatagramTransport
{
    public const int ReceiveBatch = 32;

    /// <summary>A receive slot takes any UDP datagram (PMTUD probes are as large as the sender's interface allows).</summary>
    public const int ReceiveSlotSize = 65536 + 256;

    private const long ReportIntervalNs = 5_000_000_000;

    private readonly KnetMachine _machine;
    private readonly uint _localNodeId;
    private readonly int[] _linkFd = new int[KnetMachine.LinkMax];
    private readonly int[] _fds;
    private readonly SocketAddress[] _peerAddress; // index host * 8 + link, pinned for sendto
    private readonly byte[] _rxSlab;
    private readonly mmsghdr[] _rxMsgs;
    private readonly iovec[] _rxIov;
    private readonly SocketAddress[] _rxSources;
    private readonly byte[] _tx = GC.AllocateArray<byte>(KnetMachine.TransmitBufferMin, pinned: true);
    private readonly byte[] _frame = new byte[KnetMachine.TransmitBufferMin];
    private readonly KnetCryptoSealer? _sealer;
    private readonly KnetCrypto? _crypto;
    private readonly uint[] _rxHost = new uint[ReceiveBatch];
    private int _loopRead = -1;
    private int _loopWrite = -1;
    private bool _rxLoop;
    private int _rxLink;
    private long _rxNowNs;
    private long _nextReportNs;
    private KnetDropCounters _reported;
    private long _filtered;
    private long _sendErrors;

    public KnetTransport(CorosyncConfig config, uint localNodeId, byte[]? key)
    {
        KnetConfig knet = config.Knet ?? throw new ArgumentException("not a knet configuration", nameof(config));
        _localNodeId = localNodeId;
        Array.Fill(_linkFd, -1);
        if (knet.CryptoEnabled)
        {
            _crypto = new KnetCrypto(knet.Cipher, knet.Hash, key ?? throw new ArgumentNullException(nameof(key)));
            _sealer = new KnetCryptoSealer(_crypto);
        }

        ConfigNode local = Find(config, localNodeId);
        var hosts = new KnetPeer[config.Nodes.Count];
        var overhead = new int[knet.Links.Length];
        var interfaceMtu = new int[knet.Links.Length];
        var localAddress = new IPAddress[knet.Links.Length];
        for (int li = 0; li < knet.Links.Length; li++)
        {
            KnetLinkConfig link = knet.Links[li];
            IPAddress[] mine = config.ResolveRing(local, link.LinkNumber);
            if (mine.Length == 0)
            {
                throw new CorosyncConfigException($"cannot resolve ring{link.LinkNumber}_addr '{local.RingAddresses[link.LinkNumber]}' of this node ({localNodeId})", local.Line);
            }

            localAddress[li] = mine[0];
            bool v6 = mine[0].AddressFamily == AddressFamily.InterNetworkV6;
            overhead[li] = v6 ? KnetMtu.Ipv6Overhead : KnetMtu.Ipv4Overhead;
            interfaceMtu[li] = InterfaceMtuOf(mine[0]);
        }

        _peerAddress = GC.AllocateArray<SocketAddress>(hosts.Length * KnetMachine.LinkMax, pinned: true);
        for (int h = 0; h < hosts.Length; h++)
        {
            ConfigNode node = config.Nodes[h];
            var addresses = new KnetAddress[KnetMachine.LinkMax];
            foreach (KnetLinkConfig link in knet.Links)
            {
                IPAddress[] resolved = config.ResolveRing(node, link.LinkNumber);
                if (resolved.Length == 0)
                {
                    if (node.RingAddresses[link.LinkNumber] != null)
                    {
                        throw new CorosyncConfigException($"cannot resolve ring{link.LinkNumber}_addr '{node.RingAddresses[link.LinkNumber]}' of node {node.NodeId}", node.Line);
                    }

                    continue;
                }

                addresses[link.LinkNumber] = KnetAddress.From(resolved[0]);
                _peerAddress[(h * KnetMachine.LinkMax) + link.LinkNumber] = SocketAddress.From(resolved[0], link.Port);
            }

            hosts[h] = new KnetPeer { HostId = (ushort)node.NodeId, LinkAddresses = addresses };
        }

        _machine = new KnetMachine(KnetMachineOptions.FromConfig(knet, (ushort)localNodeId, hosts, overhead, interfaceMtu, _sealer));
        _rxSlab = GC.AllocateArray<byte>(ReceiveBatch * ReceiveSlotSize, pinned: true);
        _rxMsgs = GC.AllocateArray<mmsghdr>(ReceiveBatch, pinned: true);
        _rxIov = GC.AllocateArray<iovec>(ReceiveBatch, pinned: true);
        _rxSources = GC.AllocateArray<SocketAddress>(ReceiveBatch, pinned: true);
        fixed (byte* slab = _rxSlab)
        {
            for (int i = 0; i < ReceiveBatch; i++)
            {
                _rxIov[i].iov_base = slab + (i * ReceiveSlotSize);
                _rxIov[i].iov_len = ReceiveSlotSize;
            }
        }

        try
        {
            // knet's loopback link: a frame this node addresses to itself (a singleton ring's token) comes back
            // through the loop like any received datagram, as the kernel loops udpu's; a datagram socket pair.
            int* pair = stackalloc int[2];
            if (LibC.socketpair(1 /* AF_UNIX */, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0, pair) != 0)
            {
                throw new TransportException("cannot create the knet loopback socket pair", Marshal.GetLastPInvokeError());
            }

            _loopRead = pair[0];
            _loopWrite = pair[1];
            int loopBuffer = 1024 * 1024;
            LibC.setsockopt(_loopWrite, LibC.SOL_SOCKET, LibC.SO_SNDBUF, &loopBuffer, sizeof(int));
            LibC.setsockopt(_loopRead, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &loopBuffer, sizeof(int));
            _fds = new int[knet.Links.Length + 1];
            _fds[knet.Links.Length] = _loopRead;
            for (int li = 0; li < knet.Links.Length; li++)
            {
                KnetLinkConfig link = knet.Links[li];
                int fd = OpenLinkSocket(SocketAddress.From(localAddress[li], link.Port), link.LinkNumber);
                _linkFd[link.LinkNumber] = fd;
                _fds[li] = fd;
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        long now = MonotonicClock.NowNs();
        _machine.Start(now);
        _nextReportNs = now + ReportIntervalNs;
        Describe = $"knet, {knet.Links.Length} link(s), link_mode {knet.LinkMode.ToString().ToLowerInvariant()}, crypto {(knet.CryptoEnabled ? $"{knet.Cipher}/{knet.Hash}".ToLowerInvariant() : "none")}";
    }

    /// <summary>Link changes, PMTUd results and drop summaries, as text (called on the loop thread).</summary>
    public Action<string>? Log { get; set; }

    public KnetMachine Machine => _machine;

    public string Describe { get; }

    /// <summary>Every knet packet dropped as bad input or unsendable (duplicates in active mode are not drops).</summary>
    public long DroppedPackets
    {
        get
        {
            ref readonly KnetDropCounters d = ref _machine.Drops;
            return d.Truncated + d.BadVersion + d.UnknownType + d.UnknownHost + d.WrongSource + d.UnknownLink + d.CryptoFailed
                + d.BadFragment + d.NotReachable + d.Compressed + d.BadChannel + d.DefragEvicted + d.TxQueueFull + d.TxTooLarge;
        }
    }

    public int FdCount => _fds.Length;

    public int Fd(int index) => _fds[index];

    public int Receive(int fd)
    {
        int link = Array.IndexOf(_linkFd, fd);
        if (link < 0 && fd != _loopRead)
        {
            return 0;
        }

        int got = BatchReceiver.Read(fd, _rxMsgs, _rxIov, _rxSources, ReceiveBatch);

        _rxLink = link;
        _rxLoop = fd == _loopRead;
        _rxNowNs = MonotonicClock.NowNs();
        return got < 0 ? 0 : got;
    }

    public ReadOnlySpan<byte> Datagram(int i)
    {
        var bytes = new ReadOnlySpan<byte>(_rxSlab, i * ReceiveSlotSize, (int)_rxMsgs[i].msg_len);
        if (_rxLoop)
        {
            _rxHost[i] = _localNodeId;
            return bytes;
        }

        KnetAddress source = ToKnetAddress(in _rxSources[i]);
        _rxHost[i] = FastTotem.Protocol.Srp.Transmitter.Unlisted;
        if (!_machine.HandleDatagram(_rxLink, source, bytes, _rxNowNs, out ReadOnlySpan<byte> totem))
        {
            return default;
        }

        // The knet host id of a delivered packet was checked against its link address (and sealed with the key).
        _rxHost[i] = _machine.LastSourceHostId;

        if (!TotemKnetRouting.IsForUs(totem, _localNodeId))
        {
            _filtered++;
            return default;
        }

        return totem;
    }

    /// <summary>The knet host id of the i-th datagram's sender, once <see cref="Datagram"/> delivered it.</summary>
    public uint SourceNodeId(int i) => _rxHost[i];

    public bool TryQueue(ReadOnlySpan<byte> datagram, uint destinationNodeId)
    {
        if (datagram.Length > _frame.Length)
        {
            return false;
        }

        // totemknet rewrites target_nodeid on every send: the destination of a token, 0 for everything else.
        datagram.CopyTo(_frame);
        Span<byte> frame = _frame.AsSpan(0, datagram.Length);
        TotemKnetRouting.SetTarget(frame, destinationNodeId);
        if (destinationNodeId == _localNodeId)
        {
            fixed (byte* data = _frame)
            {
                return LibC.send(_loopWrite, data, (size_t)frame.Length, LibC.MSG_DONTWAIT) == frame.Length;
            }
        }

        long now = MonotonicClock.NowNs();
        KnetSendResult result = _machine.HandleSend(frame, (ushort)destinationNodeId, now);
        if (result == KnetSendResult.QueueFull)
        {
            Flush();
            result = _machine.HandleSend(frame, (ushort)destinationNodeId, now);
        }

        return result is KnetSendResult.Sent or KnetSendResult.NoRoute;
    }

    public void Flush()
    {
        while (_machine.PollTransmit(_tx, out KnetTransmit t))
        {
            int fd = _linkFd[t.Link];
            int target = (t.HostIndex * KnetMachine.LinkMax) + t.Link;
            fixed (byte* data = _tx)
            fixed (SocketAddress* to = &_peerAddress[target])
            {
                long sent = LibC.sendto(fd, data, (size_t)t.Length, LibC.MSG_DONTWAIT | 0x4000 /* MSG_NOSIGNAL */, (sockaddr*)to, (uint)to->Length);
                if (sent < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    _sendErrors++;
                    if (errno == 90 /* EMSGSIZE */)
                    {
                        _machine.HandleMessageTooBig(t.HostIndex, t.Link, 0);
                    }
                }
            }
        }

        if (Log != null)
        {
            while (_machine.PollEvent(out KnetEvent ev))
            {
                Log(Format(ev));
            }
        }
    }

    public long PollTimeout() => Math.Min(_machine.PollTimeout(), _nextReportNs);

    public void HandleTimeout(long nowNs)
    {
        _machine.HandleTimeout(nowNs);
        if (nowNs >= _nextReportNs)
        {
            _nextReportNs = nowNs + ReportIntervalNs;
            ReportDrops();
        }
    }

    public void Dispose()
    {
        if (Log != null && _loopRead >= 0)
        {
            foreach (string line in CountersReport())
            {
                Log(line);
            }
        }

        foreach (int fd in new[] { _loopRead, _loopWrite })
        {
            if (fd >= 0)
            {
                LibC.close(fd);
            }
        }

        _loopRead = -1;
        _loopWrite = -1;
        for (int l = 0; l < _linkFd.Length; l++)
        {
            if (_linkFd[l] >= 0)
            {
                LibC.close(_linkFd[l]);
                _linkFd[l] = -1;
            }
        }

        _crypto?.Dispose();
    }

    private string Format(KnetEvent ev) => ev.Kind switch
    {
        KnetEventKind.LinkUp => $"knet: host {ev.HostId} link {ev.Link} is up",
        KnetEventKind.LinkDown => $"knet: host {ev.HostId} link {ev.Link} is down",
        KnetEventKind.HostReachable => $"knet: host {ev.HostId} is reachable",
        KnetEventKind.HostUnreachable => $"knet: host {ev.HostId} is unreachable",
        KnetEventKind.PmtudDone => $"knet: PMTUD on host {ev.HostId} link {ev.Link}: data MTU {ev.Value}",
        KnetEventKind.PmtudFailed => $"knet: PMTUD on host {ev.HostId} link {ev.Link} gave up after {KnetMachine.PmtudAttemptsMax} attempts: link has no valid MTU",
        KnetEventKind.DataMtuChanged => $"knet: data MTU {ev.Value}",
        _ => $"knet: {ev}",
    };

    /// <summary>
    /// The per-link counters (as <c>corosync-cmapctl -m stats stats.knet</c> shows a daemon's) and the drop totals, one
    /// line each; logged when the transport is disposed. Read them after the loop stopped: they are the loop's.
    /// </summary>
    public List<string> CountersReport()
    {
        var lines = new List<string>();
        for (int h = 0; h < _machine.HostCount; h++)
        {
            for (int l = 0; l < KnetMachine.LinkMax; l++)
            {
                if (!_machine.IsConfigured(h, l) || _machine.HostId(h) == _localNodeId)
                {
                    continue;
                }

                ref readonly KnetLinkCounters c = ref _machine.LinkCounters(h, l);
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"knet: counters host {_machine.HostId(h)} link {l}: tx_data_packets={c.TxDataPackets} tx_data_bytes={c.TxDataBytes} rx_data_packets={c.RxDataPackets} rx_data_bytes={c.RxDataBytes} tx_pings={c.TxPings} rx_pongs={c.RxPongs} link_ups={c.LinkUps} link_downs={c.LinkDowns} latency_us={c.AverageLatencyUs} mtu={_machine.LinkMtu(h, l)}"));
            }
        }

        ref readonly KnetDropCounters d = ref _machine.Drops;
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"knet: counters dropped: duplicate={d.Duplicate} crypto_failed={d.CryptoFailed} wrong_source={d.WrongSource} unknown_host={d.UnknownHost} not_reachable={d.NotReachable} bad_fragment={d.BadFragment} defrag_evicted={d.DefragEvicted} tx_queue_full={d.TxQueueFull} tx_no_route={d.TxNoRoute}"));
        return lines;
    }

    /// <summary>Logs what was dropped since the last report, with the likely reason, when anything was.</summary>
    private void ReportDrops()
    {
        ref readonly KnetDropCounters d = ref _machine.Drops;
        long crypto = d.CryptoFailed - _reported.CryptoFailed;
        long source = (d.WrongSource - _reported.WrongSource) + (d.UnknownHost - _reported.UnknownHost);
        long malformed = (d.Truncated - _reported.Truncated) + (d.BadVersion - _reported.BadVersion) + (d.UnknownType - _reported.UnknownType) + (d.BadFragment - _reported.BadFragment);
        long refused = (d.Compressed - _reported.Compressed) + (d.BadChannel - _reported.BadChannel);
        _reported = d;
        if (Log == null || crypto + source + malformed + refused == 0)
        {
            return;
        }

        string why = crypto > 0
            ? $"{crypto} failed authentication ({(_sealer?.LastOpenStatus.ToString() ?? "crypto off here, the peer seals")}: the authkey, crypto_cipher or crypto_hash differ from the sender's), "
            : "";
        if (crypto > 0 && !AnyReachable())
        {
            Log("knet: no peer is reachable and their packets fail authentication: if the cluster changed its authkey or crypto settings " +
                "(corosync-cfgtool -R), FastTotem does not follow a live crypto change; restart it with the new /etc/corosync/authkey and corosync.conf");
        }

        Log($"knet: dropped in the last {ReportIntervalNs / 1_000_000_000} s: {why}{source} from unknown hosts or addresses, {malformed} malformed, {refused} compressed or on another channel (totals: {d.CryptoFailed} auth, {d.WrongSource + d.UnknownHost} source, {d.Duplicate} duplicates)");
    }

    private bool AnyReachable()
    {
        for (int h = 0; h < _machine.HostCount; h++)
        {
            if (_machine.IsReachable(h))
            {
                return true;
            }
        }

        return false;
    }

    private static KnetAddress ToKnetAddress(in SocketAddress sa)
    {
        if (sa.IsV6)
        {
            return KnetAddress.FromV6(sa.V6Address);
        }

        uint v4 = sa.V4AddressNetworkOrder;
        return KnetAddress.FromV4(new ReadOnlySpan<byte>(&v4, 4));
    }

    private static ConfigNode Find(CorosyncConfig config, uint nodeId)
    {
        foreach (ConfigNode node in config.Nodes)
        {
            if (node.NodeId == nodeId)
            {
                return node;
            }
        }

        throw new CorosyncConfigException($"nodeid {nodeId} is not in the nodelist");
    }

    /// <summary>The MTU of the interface holding <paramref name="address"/> (where PMTUd starts), 1500 when unknown.</summary>
    private static int InterfaceMtuOf(IPAddress address)
    {
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (UnicastIPAddressInformation u in nic.GetIPProperties().UnicastAddresses)
                {
                    if (u.Address.Equals(address))
                    {
                        IPInterfaceProperties p = nic.GetIPProperties();
                        int mtu = address.AddressFamily == AddressFamily.InterNetworkV6 ? p.GetIPv6Properties().Mtu : p.GetIPv4Properties().Mtu;
                        return mtu > 0 ? Math.Min(mtu, KnetMtu.MaxIpPacket) : 1500;
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
        }

        return 1500;
    }

    /// <summary>
    /// A link's socket as libknet sets it up (transport_udp.c, transport_common.c): bound to ringN_addr:port,
    /// IPv6 only for IPv6, DF set with the kernel's path MTU cache ignored (PMTUd finds the MTU), TOS low-delay,
    /// priority 6, 8 MiB buffers.
    /// </summary>
    private static int OpenLinkSocket(SocketAddress local, int link)
    {
        int family = local.IsV6 ? 10 : 2;
        int fd = LibC.socket(family, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new TransportException($"cannot create the knet link {link} socket", Marshal.GetLastPInvokeError());
        }

        int on = 1;
        int size = 8 * 1024 * 1024;
        int priority = 6;
        int probe = 3; // IP_PMTUDISC_PROBE / IPV6_PMTUDISC_PROBE
        LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, &on, sizeof(int));
        LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &size, sizeof(int));
        LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, &size, sizeof(int));
        LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_PRIORITY, &priority, sizeof(int));
        if (local.IsV6)
        {
            LibC.setsockopt(fd, LibC.IPPROTO_IPV6, 26 /* IPV6_V6ONLY */, &on, sizeof(int));
            LibC.setsockopt(fd, LibC.IPPROTO_IPV6, 23 /* IPV6_MTU_DISCOVER */, &probe, sizeof(int));
            LibC.setsockopt(fd, LibC.IPPROTO_IPV6, 62 /* IPV6_DONTFRAG */, &on, sizeof(int));
        }
        else
        {
            int tos = 0x10; // IPTOS_LOWDELAY
            LibC.setsockopt(fd, LibC.IPPROTO_IP, 1 /* IP_TOS */, &tos, sizeof(int));
            LibC.setsockopt(fd, LibC.IPPROTO_IP, 10 /* IP_MTU_DISCOVER */, &probe, sizeof(int));
        }

        if (LibC.bind(fd, (sockaddr*)&local, (uint)local.Length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LibC.close(fd);
            throw new TransportException($"cannot bind the knet link {link} socket to {local}", errno);
        }

        return fd;
    }
}
