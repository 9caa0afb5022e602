using FastTotem.Wire.Knet;

namespace FastTotem.Protocol.Knet;

internal sealed partial class KnetMachine
{
    /// <summary>
    /// Sends one user datagram (a Totem frame) to <paramref name="destinationHostId"/>, or with 0 to every reachable
    /// host. It gets a fresh seq, is cut into fragments of the data MTU (all but the last the same size), each
    /// fragment is sealed once, and the same sealed bytes are queued for every destination on the links the link
    /// mode picks. An unreachable destination is skipped, never queued for later (threads_tx.c).
    /// </summary>
    public KnetSendResult HandleSend(ReadOnlySpan<byte> payload, ushort destinationHostId, long nowNs)
    {
        _nowNs = nowNs;
        if (payload.IsEmpty || payload.Length > KnetDataHeader.PayloadMax)
        {
            _drops.TxTooLarge++;
            return KnetSendResult.TooLarge;
        }

        int destinations = 0;
        if (destinationHostId == 0)
        {
            for (int h = 0; h < _hostCount; h++)
            {
                if (h != _localIndex && _reachable[h])
                {
                    _destinations[destinations++] = h;
                }
            }
        }
        else
        {
            int h = HostIndex(destinationHostId);
            if (h >= 0 && h != _localIndex && _reachable[h])
            {
                _destinations[destinations++] = h;
            }
        }

        if (destinations == 0)
        {
            _drops.TxNoRoute++;
            return KnetSendResult.NoRoute;
        }

        int targets = 0;
        for (int d = 0; d < destinations; d++)
        {
            targets += PickLinks(_destinations[d], targets);
        }

        int fragmentSize = Math.Min(_globalDataMtu, _options.SendFragmentMax);
        int fragments = (payload.Length + fragmentSize - 1) / fragmentSize;
        if (fragments > KnetDataHeader.FragmentCountMax)
        {
            _drops.TxTooLarge++;
            return KnetSendResult.TooLarge;
        }

        ushort nextSeq = _txSeq == ushort.MaxValue ? (ushort)1 : (ushort)(_txSeq + 1);
        bool untimedPing = nextSeq % UntimedPingEvery == 0;
        int pingEntries = untimedPing ? ConfiguredLinkCount() : 0;
        if (_freeSlotCount < fragments + pingEntries || QueueCapacity - _queueCount < (fragments * targets) + pingEntries)
        {
            _drops.TxQueueFull++;
            return KnetSendResult.QueueFull;
        }

        _txSeq = nextSeq;
        if (untimedPing)
        {
            QueuePings(nowNs, timed: false);
        }

        var header = new KnetDataHeader
        {
            Header = new KnetHeader(KnetPacketType.Data, _localId),
            Seq = _txSeq,
            Broadcast = destinationHostId == 0 ? (byte)1 : (byte)0,
            FragmentCount = (byte)fragments,
        };

        for (int f = 0; f < fragments; f++)
        {
            int offset = f * fragmentSize;
            ReadOnlySpan<byte> part = payload.Slice(offset, Math.Min(fragmentSize, payload.Length - offset));
            header.FragmentSeq = fragments == 1 ? (byte)0 : (byte)(f + 1);
            Span<byte> plain = _plain.AsSpan(0, KnetDataHeader.Size + part.Length);
            KnetCodec.TryEncodeData(header, part, plain, out _);
            int slot = SealIntoSlot(plain);
            for (int t = 0; t < targets; t++)
            {
                int target = _targets[t];
                Enqueue(slot, target);
                ref KnetLinkCounters c = ref _linkCounters[target];
                c.TxDataPackets++;
                c.TxDataBytes += _slotLength[slot];
            }
        }

        return KnetSendResult.Sent;
    }

    /// <summary>
    /// Appends to <see cref="_targets"/> (from <paramref name="at"/>) the host-link indexes a packet to
    /// <paramref name="host"/> goes out on (host.c _host_dstcache_update_sync, threads_tx.c _dispatch_to_links):
    /// passive the one usable link of highest priority (ties: lowest number), active all usable links, rr the next
    /// usable link in turn. Usable = connected with a valid MTU. Returns how many it appended.
    /// </summary>
    private int PickLinks(int host, int at)
    {
        int best = -1;
        int bestPriority = -1;
        int count = 0;
        int baseIndex = host * LinkMax;
        KnetLinkMode mode = _options.LinkMode;
        for (int l = 0; l < LinkMax; l++)
        {
            int i = baseIndex + l;
            if (!_connected[i] || !_validMtu[i])
            {
                continue;
            }

            if (mode == KnetLinkMode.Passive)
            {
                int priority = _linkOptions[l]!.Priority;
                if (priority > bestPriority)
                {
                    best = i;
                    bestPriority = priority;
                }
            }
            else
            {
                _targets[at + count++] = i;
            }
        }

        if (mode == KnetLinkMode.Passive)
        {
            if (best < 0)
            {
                return 0;
            }

            _targets[at] = best;
            return 1;
        }

        if (mode == KnetLinkMode.RoundRobin && count > 1)
        {
            int pick = _roundRobin[host]++ % count;
            _targets[at] = _targets[at + pick];
            return 1;
        }

        return count;
    }

    private int ConfiguredLinkCount()
    {
        int n = 0;
        foreach (bool c in _configured)
        {
            n += c ? 1 : 0;
        }

        return n;
    }

    /// <summary>Seals <paramref name="plain"/> into a free slot (the caller checked there is one).</summary>
    private int SealIntoSlot(ReadOnlySpan<byte> plain)
    {
        int slot = _freeSlots[--_freeSlotCount];
        Span<byte> destination = _slots.AsSpan(slot * SlotSize, SlotSize);
        int length;
        if (_crypto == null)
        {
            plain.CopyTo(destination);
            length = plain.Length;
        }
        else
        {
            length = _crypto.Seal(plain, destination);
            if (length < 0)
            {
                ThrowSealFailed();
            }
        }

        _slotLength[slot] = length;
        _slotRefs[slot] = 0;
        return slot;
    }

    private void Enqueue(int slot, int target)
    {
        int at = (_queueHead + _queueCount) % QueueCapacity;
        _queueSlot[at] = slot;
        _queueTarget[at] = target;
        _queueCount++;
        _slotRefs[slot]++;
    }

    /// <summary>Queues a small control packet (PING, PONG, PMTUD_REPLY) for one host link; false when full (counted).</summary>
    private bool QueueControl(ReadOnlySpan<byte> plain, int host, int link)
    {
        if (_freeSlotCount == 0 || _queueCount == QueueCapacity)
        {
            _drops.TxQueueFull++;
            return false;
        }

        int slot = SealIntoSlot(plain);
        Enqueue(slot, (host * LinkMax) + link);
        return true;
    }

    /// <summary>
    /// Writes the next datagram to send into <paramref name="buffer"/> (at least <see cref="TransmitBufferMin"/>
    /// bytes to take PMTUD probes of any size) and says which host and link it is for.
    /// </summary>
    public bool PollTransmit(Span<byte> buffer, out KnetTransmit transmit)
    {
        if (_queueCount > 0)
        {
            int slot = _queueSlot[_queueHead];
            int target = _queueTarget[_queueHead];
            _queueHead = (_queueHead + 1) % QueueCapacity;
            _queueCount--;
            int length = _slotLength[slot];
            _slots.AsSpan(slot * SlotSize, length).CopyTo(buffer);
            if (--_slotRefs[slot] == 0)
            {
                _freeSlots[_freeSlotCount++] = slot;
            }

            transmit = new KnetTransmit(target / LinkMax, target % LinkMax, length);
            return true;
        }

        if (_probesPending > 0)
        {
            for (int i = 0; i < _pmtud.Length; i++)
            {
                if (_pmtud[i].ProbePending)
                {
                    _pmtud[i].ProbePending = false;
                    _probesPending--;
                    int length = BuildProbe(i, buffer);
                    if (length > 0)
                    {
                        transmit = new KnetTransmit(i / LinkMax, i % LinkMax, length);
                        return true;
                    }
                }
            }
        }

        transmit = default;
        return false;
    }

    /// <summary>Tells the machine a datagram to a host link could not be sent because the kernel found it too large (EMSGSIZE).</summary>
    public void HandleMessageTooBig(int hostIndex, int link, int kernelMtu)
    {
        int i = (hostIndex * LinkMax) + link;
        ref PmtudState p = ref _pmtud[i];
        if (p.Running && p.Waiting && kernelMtu > 0 && kernelMtu < p.Onwire)
        {
            // As libknet after EMSGSIZE: the kernel's MTU is the next size to try, and anything above it is bad.
            p.LastBad = kernelMtu + 1;
            p.Onwire = kernelMtu;
            p.Waiting = false;
            p.ProbePending = true;
            _probesPending++;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowSealFailed() =>
        throw new InvalidOperationException("knet crypto could not seal a packet that fits a transmit slot");
}
