using FastTotem.Wire.Knet;

namespace FastTotem.Protocol.Knet;

internal sealed partial class KnetMachine
{
    private long _nowNs;

    /// <summary>
    /// The 200 ms heartbeat tick (threads_heartbeat.c): PINGs on every link whose interval has passed, links taken
    /// down after pong_timeout × backoff + 2 × latency of silence, the backoff lowered once a second, and PMTUd runs
    /// started or timed out.
    /// </summary>
    public void HandleTimeout(long nowNs)
    {
        _nowNs = nowNs;
        if (!_started || nowNs < _nextTickNs)
        {
            return;
        }

        _nextTickNs += TickNs;
        if (_nextTickNs <= nowNs)
        {
            _nextTickNs = nowNs + TickNs;
        }

        if (++_ticks % 5 == 0)
        {
            AdjustPongTimeouts();
        }

        for (int h = 0; h < _hostCount; h++)
        {
            if (h == _localIndex)
            {
                continue;
            }

            for (int l = 0; l < LinkMax; l++)
            {
                int i = (h * LinkMax) + l;
                if (!_configured[i])
                {
                    continue;
                }

                KnetLinkOptions lo = _linkOptions[l]!;
                if (_lastPingNs[i] == 0 || nowNs - _lastPingNs[i] >= lo.PingIntervalMs * NsPerMs)
                {
                    QueuePing(h, l, nowNs, timed: true);
                }

                if (_lastPongNs[i] != 0 && nowNs - _lastPongNs[i] >= _pongTimeoutAdjUs[i] * NsPerUs)
                {
                    LinkDown(h, l);
                }

                if (_connected[i] && _options.FixedIpMtu == 0)
                {
                    PmtudTick(h, l, nowNs);
                }
            }
        }
    }

    private void AdjustPongTimeouts()
    {
        for (int i = 0; i < _configured.Length; i++)
        {
            if (!_configured[i])
            {
                continue;
            }

            if (_backoff[i] > 1)
            {
                _backoff[i]--;
            }

            UpdatePongTimeout(i);
        }
    }

    private void UpdatePongTimeout(int i) =>
        _pongTimeoutAdjUs[i] = ((long)_linkOptions[i % LinkMax]!.PingTimeoutMs * 1000 * _backoff[i]) + (_linkCounters[i].AverageLatencyUs * 2);

    /// <summary>Queues PINGs to every host on every link (the untimed resync PINGs of threads_tx.c).</summary>
    private void QueuePings(long nowNs, bool timed)
    {
        for (int i = 0; i < _configured.Length; i++)
        {
            if (_configured[i])
            {
                QueuePing(i / LinkMax, i % LinkMax, nowNs, timed);
            }
        }
    }

    private void QueuePing(int host, int link, long nowNs, bool timed)
    {
        var ping = new KnetPing
        {
            Header = new KnetHeader(KnetPacketType.Ping, _localId),
            Link = (byte)link,
            TimeSeconds = nowNs / 1_000_000_000,
            TimeNanoseconds = nowNs % 1_000_000_000,
            Seq = _txSeq,
            Timed = timed ? (byte)1 : (byte)0,
        };
        Span<byte> bytes = stackalloc byte[KnetPing.Size];
        KnetCodec.TryEncodePing(ping, bytes, out _);
        int i = (host * LinkMax) + link;
        _lastPingNs[i] = nowNs;
        if (QueueControl(bytes, host, link))
        {
            _linkCounters[i].TxPings++;
        }
    }

    private void LinkUp(int host, int link, long nowNs)
    {
        int i = (host * LinkMax) + link;
        _connected[i] = true;
        _linkCounters[i].LinkUps++;
        Emit(KnetEventKind.LinkUp, host, link, 0);

        // A link coming up drops the data MTU to the minimum and restarts PMTUd on every connected link.
        if (_options.FixedIpMtu == 0)
        {
            for (int j = 0; j < _connected.Length; j++)
            {
                if (_connected[j])
                {
                    StartPmtud(j, nowNs);
                }
            }
        }

        RecomputeDataMtu();
        UpdateReachable(host);
    }

    private void LinkDown(int host, int link)
    {
        int i = (host * LinkMax) + link;
        _receivedPongs[i] = 0;
        _lastPongNs[i] = 0;
        _backoff[i] = PongTimeoutBackoff;
        UpdatePongTimeout(i);
        StopPmtud(i);
        if (!_connected[i])
        {
            return;
        }

        _connected[i] = false;
        _linkCounters[i].LinkDowns++;
        Emit(KnetEventKind.LinkDown, host, link, 0);
        RecomputeDataMtu();
        UpdateReachable(host);
    }

    /// <summary>A host is reachable while one of its links is connected and has a valid MTU (host.c).</summary>
    private void UpdateReachable(int host)
    {
        bool reachable = false;
        for (int l = 0; l < LinkMax; l++)
        {
            int i = (host * LinkMax) + l;
            reachable |= _connected[i] && _validMtu[i];
        }

        if (reachable == _reachable[host])
        {
            return;
        }

        _reachable[host] = reachable;
        Emit(reachable ? KnetEventKind.HostReachable : KnetEventKind.HostUnreachable, host, -1, 0);
        if (!reachable)
        {
            // libknet forgets an unreachable host's window and partial packets.
            _windows[host].Reset();
            _defrag.FreeHost(host);
        }
    }

    /// <summary>The global data MTU: the minimum while any connected link's PMTUd runs, else the smallest link MTU.</summary>
    private void RecomputeDataMtu()
    {
        int mtu = int.MaxValue;
        bool running = false;
        for (int i = 0; i < _connected.Length; i++)
        {
            if (_connected[i])
            {
                mtu = Math.Min(mtu, _linkMtu[i]);
                running |= _pmtud[i].Running;
            }
        }

        if (mtu == int.MaxValue || (running && _options.FixedIpMtu == 0))
        {
            mtu = _mtu.MinDataMtu;
        }

        if (mtu != _globalDataMtu)
        {
            _globalDataMtu = mtu;
            Emit(KnetEventKind.DataMtuChanged, _localIndex, -1, mtu);
        }
    }

    private void StartPmtud(int i, long nowNs)
    {
        KnetLinkOptions lo = _linkOptions[i % LinkMax]!;
        ref PmtudState p = ref _pmtud[i];
        if (p.ProbePending)
        {
            _probesPending--;
        }

        p = default;
        p.Running = true;
        p.Multiplier = 1;
        p.Onwire = Math.Clamp(lo.InterfaceMtu, KnetMtu.MinIpv4Packet, KnetMtu.MaxIpPacket);
        p.LastBad = p.Onwire < KnetMtu.MaxIpPacket ? p.Onwire + 1 : 0;
        p.LastGood = _mtu.SealedLength(KnetPing.Size) + lo.IpOverhead;
        p.NextRunNs = nowNs;
        p.ProbePending = true;
        _probesPending++;
    }

    private void StopPmtud(int i)
    {
        ref PmtudState p = ref _pmtud[i];
        if (p.ProbePending)
        {
            _probesPending--;
        }

        p = default;
    }

    private void PmtudTick(int host, int link, long nowNs)
    {
        int i = (host * LinkMax) + link;
        ref PmtudState p = ref _pmtud[i];
        if (!p.Running)
        {
            if (p.NextRunNs != 0 && nowNs >= p.NextRunNs)
            {
                StartPmtud(i, nowNs);
            }

            return;
        }

        if (!p.Waiting || nowNs < p.DeadlineNs)
        {
            return;
        }

        // No reply in time: that size is too big for the path; halve the interval and try again.
        p.Waiting = false;
        p.LastBad = p.Onwire;
        if (++p.Attempts >= PmtudAttemptsMax)
        {
            PmtudFailed(host, link, nowNs);
            return;
        }

        p.Onwire = (p.LastGood + p.LastBad) / 2;
        p.ProbePending = true;
        _probesPending++;
    }

    /// <summary>Writes the probe for host link <paramref name="i"/> into <paramref name="buffer"/>; its length, or 0.</summary>
    private int BuildProbe(int i, Span<byte> buffer)
    {
        KnetLinkOptions lo = _linkOptions[i % LinkMax]!;
        ref PmtudState p = ref _pmtud[i];
        if (!p.Running || !_connected[i])
        {
            return 0;
        }

        // The probe's cleartext is 26 + data_mtu(size) bytes; the size field is what that makes on the wire.
        int plainLength = Math.Max(KnetPmtud.HeaderSize, KnetMtu.AllHeadersSize + _mtu.DataMtu(p.Onwire, lo.IpOverhead));
        int sealedLength = _mtu.SealedLength(plainLength);
        if (sealedLength > buffer.Length || plainLength > _plain.Length)
        {
            return 0;
        }

        p.Onwire = sealedLength + lo.IpOverhead;
        var probe = new KnetPmtud
        {
            Header = new KnetHeader(KnetPacketType.Pmtud, _localId),
            Link = (byte)(i % LinkMax),
            Size = (ushort)Math.Min(p.Onwire, ushort.MaxValue),
        };
        int length;
        if (_crypto == null)
        {
            KnetCodec.TryEncodePmtud(probe, plainLength, buffer, out length);
        }
        else
        {
            KnetCodec.TryEncodePmtud(probe, plainLength, _plain, out _);
            length = _crypto.Seal(_plain.AsSpan(0, plainLength), buffer);
            if (length < 0)
            {
                return 0;
            }
        }

        p.Waiting = true;
        p.DeadlineNs = _nowNs + (_pongTimeoutAdjUs[i] * NsPerUs * p.Multiplier);
        _linkCounters[i].TxPmtud++;
        return length;
    }

    private void PmtudSuccess(int host, int link, long nowNs)
    {
        int i = (host * LinkMax) + link;
        KnetLinkOptions lo = _linkOptions[link]!;
        ref PmtudState p = ref _pmtud[i];
        p.Waiting = false;
        p.Attempts++;
        bool done = _crypto?.Mtu.Cipher == true
            ? p.Onwire + 16 >= KnetMtu.MaxIpPacket || p.LastBad <= p.Onwire + 16
            : p.Onwire >= KnetMtu.MaxIpPacket || p.LastBad == p.Onwire + 1 || p.LastBad == p.LastGood;
        if (!done && p.Attempts < PmtudAttemptsMax)
        {
            p.LastGood = p.Onwire;
            p.Onwire = (p.LastGood + p.LastBad) / 2;
            p.ProbePending = true;
            _probesPending++;
            return;
        }

        int mtu = _mtu.DataMtu(p.Onwire, lo.IpOverhead);
        p.Running = false;
        p.NextRunNs = nowNs + ((long)_options.PmtudIntervalS * 1_000_000_000);
        _linkMtu[i] = mtu;
        bool wasValid = _validMtu[i];
        _validMtu[i] = true;
        Emit(KnetEventKind.PmtudDone, host, link, mtu);
        RecomputeDataMtu();
        if (!wasValid)
        {
            UpdateReachable(host);
        }
    }

    private void PmtudFailed(int host, int link, long nowNs)
    {
        int i = (host * LinkMax) + link;
        _validMtu[i] = false;
        Emit(KnetEventKind.PmtudFailed, host, link, 0);
        UpdateReachable(host);
        StartPmtud(i, nowNs);
    }
}
