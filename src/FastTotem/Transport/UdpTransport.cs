using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastTotem.Config;
using FastTotem.Protocol.Srp;
using FastTotem.Transport.Interop;
using System.Runtime.CompilerServices;
using Tmds.Linux;

namespace FastTotem.Transport;

/// <summary>
/// The sockets of one Totem link, as corosync's totemudpu.c / totemudp.c lay them out, driven by one
/// loop thread. udpu: a token socket bound to ring0_addr:port receives everything and sends tokens
/// (port → port); "mcast" traffic leaves a second socket bound to ring0_addr with an ephemeral port,
/// one unicast per nodelist member. udp: "mcast" traffic is one datagram to the group, and every
/// datagram leaves from port − 1 (corosync's mcast_send socket); a third socket joined to the group
/// receives the multicasts.
/// Receive and send buffers are pinned slabs allocated once; batches go through recvmmsg/sendmmsg.
/// Nothing on <see cref="Receive"/>, <see cref="TryQueue"/> or <see cref="Flush"/> allocates.
/// </summary>
internal sealed unsafe class UdpTransport : IDatagramTransport
{
    /// <summary>Datagrams read per recvmmsg call.</summary>
    public const int ReceiveBatch = 32;

    /// <summary>A receive slot holds the largest UDP payload, so nothing is ever truncated.</summary>
    public const int ReceiveSlotSize = 65536;

    /// <summary>Distinct datagrams that can wait for one <see cref="Flush"/>.</summary>
    public const int SendSlots = 64;

    /// <summary>
    /// The send slot size when the caller does not say: a commit token for 384 members is 41 + 28·384 = 10,793 bytes,
    /// an encapsulated mcast netmtu bytes (1,500 by default). A node passes its machine's
    /// <c>NodeMachine.TransmitBufferSize</c> instead, which follows netmtu up to 65,536.
    /// </summary>
    public const int DefaultSendSlotSize = 16384;

    private const int MaxSocketsPerLoop = 3;
    private const int OptionOn = 1;

    private readonly TransportOptions _options;
    private readonly SocketAddress[] _memberAddresses;   // pinned: msg_name of udpu mcast sends
    private readonly uint[] _memberNodeIds;
    private readonly int _localMemberIndex;
    private readonly SocketAddress[] _groupAddress;       // pinned, one entry: udp's mcast destination

    private readonly byte[] _rxSlab;
    private readonly mmsghdr[] _rxMsgs;
    private readonly iovec[] _rxIov;
    private readonly SocketAddress[] _rxSources;

    private readonly byte[] _txSlab;
    private readonly int[] _txLength;
    private readonly iovec[] _txIov;
    private readonly SocketAddress[] _txUnicastTargets;   // pinned: msg_name of unicast sends, one per slot
    private readonly mmsghdr[] _txTokenMsgs;              // queued on the token-path socket
    private readonly mmsghdr[] _txMcastMsgs;              // queued on the mcast-path socket
    private int _txSlotsUsed;
    private int _txTokenCount;
    private int _txMcastCount;

    private int _tokenFd = -1;
    private int _mcastSendFd = -1;
    private int _mcastRecvFd = -1;
    private TransportCounters _counters;

    public UdpTransport(TransportOptions options, int sendSlotSize = DefaultSendSlotSize)
    {
        if (sendSlotSize < 1 || sendSlotSize > ReceiveSlotSize)
        {
            throw new ArgumentOutOfRangeException(nameof(sendSlotSize), $"from 1 to {ReceiveSlotSize} bytes");
        }

        SendSlotSize = sendSlotSize;
        _options = options;
        int n = options.Members.Length;
        _memberAddresses = GC.AllocateArray<SocketAddress>(n, pinned: true);
        _memberNodeIds = new uint[n];
        _localMemberIndex = -1;
        for (int i = 0; i < n; i++)
        {
            _memberAddresses[i] = SocketAddress.From(options.Members[i].Address, options.Port);
            _memberNodeIds[i] = options.Members[i].NodeId;
            if (options.Members[i].NodeId == options.LocalNodeId)
            {
                _localMemberIndex = i;
            }
        }

        _groupAddress = GC.AllocateArray<SocketAddress>(1, pinned: true);
        if (options.Kind == TotemTransport.Udp)
        {
            if (options.McastAddress == null)
            {
                throw new TransportException("transport udp needs a multicast address");
            }

            _groupAddress[0] = SocketAddress.From(options.McastAddress, options.Port);
        }

        _rxSlab = GC.AllocateArray<byte>(ReceiveBatch * ReceiveSlotSize, pinned: true);
        _rxMsgs = GC.AllocateArray<mmsghdr>(ReceiveBatch, pinned: true);
        _rxIov = GC.AllocateArray<iovec>(ReceiveBatch, pinned: true);
        _rxSources = GC.AllocateArray<SocketAddress>(ReceiveBatch, pinned: true);

        int txMsgCapacity = SendSlots * Math.Max(1, n);
        _txSlab = GC.AllocateArray<byte>(SendSlots * SendSlotSize, pinned: true);
        _txLength = new int[SendSlots];
        _txIov = GC.AllocateArray<iovec>(SendSlots, pinned: true);
        _txUnicastTargets = GC.AllocateArray<SocketAddress>(SendSlots, pinned: true);
        _txTokenMsgs = GC.AllocateArray<mmsghdr>(SendSlots, pinned: true);
        _txMcastMsgs = GC.AllocateArray<mmsghdr>(txMsgCapacity, pinned: true);

        fixed (byte* slab = _txSlab)
        {
            for (int i = 0; i < SendSlots; i++)
            {
                _txIov[i].iov_base = slab + (i * SendSlotSize);
            }
        }

        fixed (byte* slab = _rxSlab)
        fixed (iovec* iov = _rxIov)
        fixed (SocketAddress* sources = _rxSources)
        {
            for (int i = 0; i < ReceiveBatch; i++)
            {
                iov[i].iov_base = slab + (i * ReceiveSlotSize);
                iov[i].iov_len = ReceiveSlotSize;
            }
        }

        try
        {
            OpenSockets();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ref readonly TransportCounters Counters => ref _counters;

    public long DroppedPackets => _counters.DroppedTruncated + _counters.DroppedUnlistedSource;

    /// <summary>The largest datagram <see cref="TryQueue"/> takes: one send slot.</summary>
    public int SendSlotSize { get; }

    /// <summary>The local port "mcast" traffic leaves from (ephemeral for udpu, port − 1 for udp).</summary>
    public int McastSourcePort { get; private set; }

    /// <summary>File descriptors the loop waits on for input.</summary>
    public int TokenFd => _tokenFd;

    public int McastReceiveFd => _mcastRecvFd;

    public int FdCount => _mcastRecvFd >= 0 ? 2 : 1;

    public int Fd(int index) => index == 0 ? _tokenFd : _mcastRecvFd;

    /// <summary>udpu and udp have no timers of their own.</summary>
    public long PollTimeout() => long.MaxValue;

    public void HandleTimeout(long nowNs)
    {
    }

    /// <summary>
    /// Reads up to <see cref="ReceiveBatch"/> datagrams from <paramref name="fd"/> without blocking.
    /// Returns how many are ready; read each with <see cref="Datagram"/> and <see cref="Source"/>.
    /// Datagrams from unlisted source addresses have length 0 (dropped and counted).
    /// </summary>
    public int Receive(int fd)
    {
        int got = BatchReceiver.Read(fd, _rxMsgs, _rxIov, _rxSources, ReceiveBatch);

        if (got < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != 11 /* EAGAIN */ && errno != 4 /* EINTR */)
            {
                _counters.ReceiveErrors++;
            }

            return 0;
        }

        for (int i = 0; i < got; i++)
        {
            _counters.DatagramsReceived++;
            if ((_rxMsgs[i].msg_hdr.msg_flags & LibC.MSG_TRUNC) != 0)
            {
                _counters.DroppedTruncated++;
                _rxMsgs[i].msg_len = 0;
            }
            else if (_options.BlockUnlistedIps && !IsListed(i))
            {
                _counters.DroppedUnlistedSource++;
                _rxMsgs[i].msg_len = 0;
            }
        }

        return got;
    }

    /// <summary>The i-th datagram of the last <see cref="Receive"/>; empty when it was dropped.</summary>
    public ReadOnlySpan<byte> Datagram(int i) =>
        new(_rxSlab, i * ReceiveSlotSize, (int)_rxMsgs[i].msg_len);

    public ref readonly SocketAddress Source(int i) => ref _rxSources[i];

    /// <summary>The nodeid whose nodelist address sent the i-th datagram, or <see cref="Transmitter.Unlisted"/>: the
    /// engine binds the identity a message claims to it.</summary>
    public uint SourceNodeId(int i)
    {
        for (int m = 0; m < _memberAddresses.Length; m++)
        {
            if (_memberAddresses[m].SameAddress(_rxSources[i]))
            {
                return _memberNodeIds[m];
            }
        }

        return Transmitter.Unlisted;
    }

    /// <summary>
    /// Queues one datagram: to <paramref name="destinationNodeId"/> (a token or commit token), or with
    /// 0 to every other nodelist member (udpu) or to the group (udp). Copies the bytes once into a send
    /// slot. Returns false when the send slots are full or the datagram is too large (counted).
    /// </summary>
    public bool TryQueue(ReadOnlySpan<byte> datagram, uint destinationNodeId)
    {
        if (_txSlotsUsed == SendSlots || datagram.Length > SendSlotSize)
        {
            _counters.SendQueueFull++;
            return false;
        }

        int slot = _txSlotsUsed++;
        datagram.CopyTo(_txSlab.AsSpan(slot * SendSlotSize, SendSlotSize));
        _txLength[slot] = datagram.Length;
        _txIov[slot].iov_len = (size_t)datagram.Length;
        iovec* iov = (iovec*)Unsafe.AsPointer(ref _txIov[slot]);

        if (destinationNodeId != 0)
        {
            int member = IndexOf(destinationNodeId);
            if (member < 0)
            {
                _counters.SendErrors++;
                _txSlotsUsed--;
                return false;
            }

            _txUnicastTargets[slot] = _memberAddresses[member];
            SocketAddress* target = (SocketAddress*)Unsafe.AsPointer(ref _txUnicastTargets[slot]);
            // udpu tokens go port → port from the token socket; udp sends everything from port − 1.
            if (_options.Kind == TotemTransport.Udpu)
            {
                SetMessage(ref _txTokenMsgs[_txTokenCount++], target, iov);
            }
            else
            {
                SetMessage(ref _txMcastMsgs[_txMcastCount++], target, iov);
            }

            return true;
        }

        if (_options.Kind == TotemTransport.Udp)
        {
            SetMessage(ref _txMcastMsgs[_txMcastCount++], (SocketAddress*)Unsafe.AsPointer(ref _groupAddress[0]), iov);
            return true;
        }

        for (int m = 0; m < _memberAddresses.Length; m++)
        {
            if (m != _localMemberIndex)
            {
                SetMessage(ref _txMcastMsgs[_txMcastCount++], (SocketAddress*)Unsafe.AsPointer(ref _memberAddresses[m]), iov);
            }
        }

        return true;
    }

    /// <summary>Sends everything queued: "mcast" traffic first, then tokens, as totemsrp orders them.</summary>
    public void Flush()
    {
        fixed (mmsghdr* mcast = _txMcastMsgs)
        fixed (mmsghdr* token = _txTokenMsgs)
        {
            SendAll(_mcastSendFd, mcast, _txMcastCount);
            SendAll(_tokenFd, token, _txTokenCount);
        }

        _txMcastCount = 0;
        _txTokenCount = 0;
        _txSlotsUsed = 0;
    }

    public void Dispose()
    {
        CloseFd(ref _tokenFd);
        CloseFd(ref _mcastSendFd);
        CloseFd(ref _mcastRecvFd);
    }

    private void SendAll(int fd, mmsghdr* msgs, int count)
    {
        int done = 0;
        while (done < count)
        {
            int sent = LibcSocket.sendmmsg(fd, msgs + done, (uint)(count - done), 0);
            if (sent <= 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == 4 /* EINTR */)
                {
                    continue;
                }

                // The datagram at 'done' failed (e.g. ECONNREFUSED from an earlier ICMP, EPERM from a
                // firewall): count it and go on with the rest, as corosync logs and goes on.
                _counters.SendErrors++;
                done++;
                continue;
            }

            _counters.DatagramsSent += sent;
            done += sent;
        }
    }

    private static void SetMessage(ref mmsghdr m, SocketAddress* target, iovec* iov)
    {
        msghdr h = default;
        h.msg_name = target;
        h.msg_namelen = (uint)target->Length;
        h.msg_iov = iov;
        h.msg_iovlen = 1;
        m.msg_hdr = h;
        m.msg_len = 0;
    }

    private int IndexOf(uint nodeId)
    {
        for (int i = 0; i < _memberNodeIds.Length; i++)
        {
            if (_memberNodeIds[i] == nodeId)
            {
                return i;
            }
        }

        return -1;
    }

    private bool IsListed(int i) => SourceNodeId(i) != Transmitter.Unlisted;

    private void OpenSockets()
    {
        SocketAddress local = SocketAddress.From(_options.LocalAddress, _options.Port);
        int family = local.IsV6 ? 10 : 2;
        bool udp = _options.Kind == TotemTransport.Udp;

        _tokenFd = OpenBound(family, local, "token socket");
        int priority = 6; // TC_PRIO_INTERACTIVE, as corosync sets on its token socket
        LibC.setsockopt(_tokenFd, LibC.SOL_SOCKET, LibC.SO_PRIORITY, &priority, sizeof(int));

        SocketAddress sendFrom = SocketAddress.From(_options.LocalAddress, udp ? _options.Port - 1 : 0);
        _mcastSendFd = OpenBound(family, sendFrom, "mcast send socket");
        McastSourcePort = LocalPort(_mcastSendFd);

        if (!udp)
        {
            return;
        }

        int ttl = _options.Ttl;
        int loop = 0; // we hand our own messages to the engine directly
        if (local.IsV6)
        {
            Check(LibC.setsockopt(_mcastSendFd, LibC.IPPROTO_IPV6, LibC.IPV6_MULTICAST_HOPS, &ttl, sizeof(int)), "IPV6_MULTICAST_HOPS");
            Check(LibC.setsockopt(_mcastSendFd, LibC.IPPROTO_IPV6, LibC.IPV6_MULTICAST_LOOP, &loop, sizeof(int)), "IPV6_MULTICAST_LOOP");
        }
        else
        {
            Check(LibC.setsockopt(_mcastSendFd, LibC.IPPROTO_IP, LibC.IP_MULTICAST_TTL, &ttl, sizeof(int)), "IP_MULTICAST_TTL");
            Check(LibC.setsockopt(_mcastSendFd, LibC.IPPROTO_IP, LibC.IP_MULTICAST_LOOP, &loop, sizeof(int)), "IP_MULTICAST_LOOP");
            in_addr ifaddr = default;
            *(uint*)&ifaddr = local.V4AddressNetworkOrder;
            Check(LibC.setsockopt(_mcastSendFd, LibC.IPPROTO_IP, LibC.IP_MULTICAST_IF, &ifaddr, (uint)sizeof(in_addr)), "IP_MULTICAST_IF");
        }

        _mcastRecvFd = OpenBound(family, _groupAddress[0], "multicast receive socket");
        if (local.IsV6)
        {
            ipv6_mreq mreq = default;
            SocketAddress group = _groupAddress[0];
            new ReadOnlySpan<byte>(&group.V6Address, 16).CopyTo(new Span<byte>(&mreq.ipv6mr_multiaddr, 16));
            mreq.ipv6mr_interface = (uint)InterfaceIndexOf(_options.LocalAddress);
            Check(LibC.setsockopt(_mcastRecvFd, LibC.IPPROTO_IPV6, LibC.IPV6_JOIN_GROUP, &mreq, (uint)sizeof(ipv6_mreq)), "IPV6_JOIN_GROUP");
        }
        else
        {
            ip_mreq mreq = default;
            *(uint*)&mreq.imr_multiaddr = _groupAddress[0].V4AddressNetworkOrder;
            *(uint*)&mreq.imr_interface = local.V4AddressNetworkOrder;
            Check(LibC.setsockopt(_mcastRecvFd, LibC.IPPROTO_IP, LibC.IP_ADD_MEMBERSHIP, &mreq, (uint)sizeof(ip_mreq)), "IP_ADD_MEMBERSHIP");
        }
    }

    private static int OpenBound(int family, SocketAddress address, string what)
    {
        int fd = LibC.socket(family, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new TransportException($"cannot create the {what}", Marshal.GetLastPInvokeError());
        }

        int on = OptionOn;
        LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, &on, sizeof(int));
        int bufferSize = 4 * 1024 * 1024;
        LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &bufferSize, sizeof(int));
        LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, &bufferSize, sizeof(int));
        if (LibC.bind(fd, (sockaddr*)&address, (uint)address.Length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LibC.close(fd);
            throw new TransportException($"cannot bind the {what} to {address}", errno);
        }

        return fd;
    }

    private static int LocalPort(int fd)
    {
        SocketAddress bound = default;
        socklen_t length = SocketAddress.Size;
        return LibC.getsockname(fd, (sockaddr*)&bound, &length) == 0 ? bound.Port : 0;
    }

    private static int InterfaceIndexOf(System.Net.IPAddress address)
    {
        foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var u in nic.GetIPProperties().UnicastAddresses)
            {
                if (u.Address.Equals(address) && u.Address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    return nic.GetIPProperties().GetIPv6Properties().Index;
                }
            }
        }

        return 0;
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new TransportException($"setsockopt {what} failed", Marshal.GetLastPInvokeError());
        }
    }

    private static void CloseFd(ref int fd)
    {
        if (fd >= 0)
        {
            LibC.close(fd);
            fd = -1;
        }
    }
}
