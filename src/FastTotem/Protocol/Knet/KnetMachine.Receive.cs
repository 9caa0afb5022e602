using FastTotem.Wire;
using FastTotem.Wire.Knet;

namespace FastTotem.Protocol.Knet;

internal sealed partial class KnetMachine
{
    /// <summary>The host id of the last datagram <see cref="HandleDatagram"/> looked at (valid when it delivered one).</summary>
    public ushort LastSourceHostId { get; private set; }

    /// <summary>
    /// One UDP datagram from the socket of link <paramref name="socketLink"/>, sent from <paramref name="source"/>.
    /// Returns true when it completed a user datagram (a Totem frame): <paramref name="payload"/> is valid until the
    /// next call into the machine. Replies (PONG, PMTUD_REPLY) are queued for <see cref="PollTransmit"/>.
    /// Anything malformed, unauthenticated or from the wrong place is counted in <see cref="Drops"/> and dropped.
    /// </summary>
    public bool HandleDatagram(int socketLink, KnetAddress source, ReadOnlySpan<byte> datagram, long nowNs, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        _nowNs = nowNs;
        ReadOnlySpan<byte> packet = datagram;
        if (_crypto != null)
        {
            int opened = datagram.Length <= KnetDefragPool.BufferSize + 128 ? _crypto.Open(datagram, _plain) : -1;
            if (opened < 0)
            {
                _drops.CryptoFailed++;
                return false;
            }

            packet = _plain.AsSpan(0, opened);
        }

        WireError error = KnetCodec.TryReadHeader(packet, out KnetHeader header);
        if (error != WireError.None)
        {
            CountHeaderError(error);
            return false;
        }

        int host = HostIndex(header.HostId);
        if (host < 0 || host == _localIndex)
        {
            _drops.UnknownHost++;
            return false;
        }

        LastSourceHostId = header.HostId;

        switch (header.Type)
        {
            case KnetPacketType.Data:
                return ReceiveData(host, source, packet, out payload);
            case KnetPacketType.Ping:
                ReceivePing(host, source, packet);
                return false;
            case KnetPacketType.Pong:
                ReceivePong(host, source, packet, nowNs);
                return false;
            case KnetPacketType.Pmtud:
                ReceivePmtud(host, source, packet);
                return false;
            default:
                ReceivePmtudReply(host, source, packet, nowNs);
                return false;
        }
    }

    private void CountHeaderError(WireError error)
    {
        switch (error)
        {
            case WireError.BadVersion:
                _drops.BadVersion++;
                break;
            case WireError.UnknownType:
                _drops.UnknownType++;
                break;
            default:
                _drops.Truncated++;
                break;
        }
    }

    /// <summary>PING/PONG/PMTUD name their link in the body; the source must be the host's address on it (libknet's access list).</summary>
    private int ServiceLink(int host, in KnetAddress source, byte linkByte)
    {
        int link = linkByte % LinkMax;
        int i = (host * LinkMax) + link;
        if (!_configured[i])
        {
            _drops.UnknownLink++;
            return -1;
        }

        if (!_address[i].Equals(source))
        {
            _drops.WrongSource++;
            return -1;
        }

        return link;
    }

    private bool ReceiveData(int host, scoped in KnetAddress source, ReadOnlySpan<byte> packet, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        WireError error = KnetCodec.TryDecodeData(packet, out KnetDataHeader data, out ReadOnlySpan<byte> user);
        if (error != WireError.None)
        {
            if (error == WireError.BadFragment)
            {
                _drops.BadFragment++;
            }
            else
            {
                CountHeaderError(error);
            }

            return false;
        }

        // DATA names no link: it is the first of the host's links whose address is the source (threads_rx.c).
        int link = -1;
        for (int l = 0; l < LinkMax; l++)
        {
            int i = (host * LinkMax) + l;
            if (_configured[i] && _address[i].Equals(source))
            {
                link = l;
                break;
            }
        }

        if (link < 0)
        {
            _drops.WrongSource++;
            return false;
        }

        ref KnetLinkCounters counters = ref _linkCounters[(host * LinkMax) + link];
        counters.RxDataPackets++;
        counters.RxDataBytes += packet.Length;
        if (!_reachable[host])
        {
            _drops.NotReachable++;
            return false;
        }

        if (data.Compress != 0)
        {
            _drops.Compressed++;
            return false;
        }

        if (data.Channel != 0)
        {
            _drops.BadChannel++;
            return false;
        }

        _gotData[host] = true;
        KnetDuplicateWindow window = _windows[host];
        if (!window.Lookup(data.Seq, defragMap: false))
        {
            _drops.Duplicate++;
            return false;
        }

        if (!data.IsFragment)
        {
            window.Set(data.Seq, defragMap: false);
            payload = user;
            return true;
        }

        _defrag.Reclaim(host, window.NewestSeq, ref _drops.DefragEvicted);
        DefragResult result = _defrag.Add(host, data.Seq, data.FragmentCount, data.FragmentSeq, user, out ReadOnlySpan<byte> whole, ref _drops.DefragEvicted);
        switch (result)
        {
            case DefragResult.Complete:
                window.Set(data.Seq, defragMap: false);
                payload = whole;
                return true;
            case DefragResult.Duplicate:
                _drops.Duplicate++;
                return false;
            case DefragResult.Bad:
                _drops.BadFragment++;
                return false;
            default:
                return false;
        }
    }

    private void ReceivePing(int host, in KnetAddress source, ReadOnlySpan<byte> packet)
    {
        if (KnetCodec.TryDecodePing(packet, out KnetPing ping) != WireError.None)
        {
            _drops.Truncated++;
            return;
        }

        int link = ServiceLink(host, source, ping.Link);
        if (link < 0)
        {
            return;
        }

        ref KnetLinkCounters counters = ref _linkCounters[(host * LinkMax) + link];
        counters.RxPings++;
        ResyncWindow(host, ping.Seq, ping.Timed != 0);

        Span<byte> pong = stackalloc byte[KnetPing.Size];
        KnetCodec.TryWritePong(packet, _localId, pong, out _);
        if (QueueControl(pong, host, link))
        {
            counters.TxPongs++;
        }
    }

    /// <summary>
    /// A PING carries its sender's DATA seq. A timed PING with a new seq 0 means the sender restarted before sending
    /// DATA: forget its window. A new untimed PING resynchronises the window to its seq, or (when DATA came in since
    /// the previous one) just moves it forward (threads_rx.c, PING case).
    /// </summary>
    private void ResyncWindow(int host, ushort seq, bool timed)
    {
        if (timed)
        {
            if (seq != _timedRxSeq[host])
            {
                _timedRxSeq[host] = seq;
                if (seq == 0)
                {
                    _windows[host].Reset();
                    _defrag.FreeHost(host);
                }
            }

            return;
        }

        if (seq == _untimedRxSeq[host])
        {
            return;
        }

        _untimedRxSeq[host] = seq;
        bool wipe = !_gotData[host];
        _gotData[host] = false;
        if (wipe)
        {
            _defrag.FreeHost(host);
        }

        _windows[host].Lookup(seq, defragMap: false, restart: wipe);
    }

    private void ReceivePong(int host, in KnetAddress source, ReadOnlySpan<byte> packet, long nowNs)
    {
        if (KnetCodec.TryDecodePing(packet, out KnetPing pong) != WireError.None)
        {
            _drops.Truncated++;
            return;
        }

        int link = ServiceLink(host, source, pong.Link);
        if (link < 0)
        {
            return;
        }

        int i = (host * LinkMax) + link;
        KnetLinkOptions lo = _linkOptions[link]!;
        ref KnetLinkCounters counters = ref _linkCounters[i];
        counters.RxPongs++;
        long sentNs = (pong.TimeSeconds * 1_000_000_000) + pong.TimeNanoseconds;
        long latencyUs = (nowNs - sentNs) / NsPerUs;
        if (latencyUs < 0 || latencyUs > (long)lo.PingTimeoutMs * 1000)
        {
            counters.SlowPongs++;
            return;
        }

        _lastPongNs[i] = nowNs;
        int samples = Math.Min(_latencySamples[i] + 1, lo.PingPrecision);
        _latencySamples[i] = samples;
        counters.AverageLatencyUs = ((counters.AverageLatencyUs * (samples - 1)) + latencyUs) / samples;
        counters.LastLatencyUs = latencyUs;
        if (counters.AverageLatencyUs >= _pongTimeoutAdjUs[i] || _connected[i])
        {
            return;
        }

        // Up on the PONG after pong_count counted ones: the third with corosync's pong count of 2.
        if (_receivedPongs[i] >= lo.PongCount)
        {
            LinkUp(host, link, nowNs);
        }
        else
        {
            _receivedPongs[i]++;
        }
    }

    private void ReceivePmtud(int host, in KnetAddress source, ReadOnlySpan<byte> packet)
    {
        if (KnetCodec.TryDecodePmtud(packet, out KnetPmtud probe, out _) != WireError.None)
        {
            _drops.Truncated++;
            return;
        }

        int link = ServiceLink(host, source, probe.Link);
        if (link < 0)
        {
            return;
        }

        ref KnetLinkCounters counters = ref _linkCounters[(host * LinkMax) + link];
        counters.RxPmtud++;
        Span<byte> reply = stackalloc byte[KnetPmtud.HeaderSize];
        KnetCodec.TryWritePmtudReply(packet, _localId, reply, out _);
        QueueControl(reply, host, link);
    }

    private void ReceivePmtudReply(int host, in KnetAddress source, ReadOnlySpan<byte> packet, long nowNs)
    {
        if (KnetCodec.TryDecodePmtud(packet, out KnetPmtud reply, out _) != WireError.None)
        {
            _drops.Truncated++;
            return;
        }

        int link = ServiceLink(host, source, reply.Link);
        if (link < 0)
        {
            return;
        }

        int i = (host * LinkMax) + link;
        ref PmtudState p = ref _pmtud[i];
        if (!p.Running || !p.Waiting || reply.Size != p.Onwire)
        {
            return;
        }

        PmtudSuccess(host, link, nowNs);
    }
}
