namespace FastTotem.Protocol.Knet;

/// <summary>
/// Reassembly of fragmented DATA (libknet threads_rx.c pckt_defrag; docs/knet.md, "Reassembly"): a fixed pool of
/// 64 KiB buffers shared by all hosts, at most 32 per host (libknet's KNET_DEFRAG_BUFFERS), keyed by (host, seq).
/// Fragment k sits at (k − 1) × the size of any non-last fragment, so the size is learnt from the packets; a last
/// fragment that comes first waits at the end of the buffer. No timers: a buffer is freed when it completes, when
/// its sender's seq has moved more than 32 past it, when its host becomes unreachable, or when it is the least
/// recently used one and a new packet needs room.
/// </summary>
internal sealed class KnetDefragPool
{
    public const int BufferSize = 65536;
    public const int PerHostMax = 32;

    private readonly byte[][] _buffers;
    private readonly int[] _host;          // -1 = free
    private readonly ushort[] _seq;
    private readonly int[] _fragmentCount;
    private readonly int[] _received;
    private readonly int[] _fragmentSize;  // size of a non-last fragment; 0 until one arrived
    private readonly int[] _lastLength;    // -1 until the last fragment arrived
    private readonly bool[] _lastParked;
    private readonly long[] _touched;
    private readonly ulong[] _have;        // 4 words (256 bits) per buffer
    private long _clock;

    public KnetDefragPool(int buffers)
    {
        if (buffers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(buffers));
        }

        _buffers = new byte[buffers][];
        for (int i = 0; i < buffers; i++)
        {
            _buffers[i] = new byte[BufferSize];
        }

        _host = new int[buffers];
        Array.Fill(_host, -1);
        _seq = new ushort[buffers];
        _fragmentCount = new int[buffers];
        _received = new int[buffers];
        _fragmentSize = new int[buffers];
        _lastLength = new int[buffers];
        _lastParked = new bool[buffers];
        _touched = new long[buffers];
        _have = new ulong[buffers * 4];
    }

    /// <summary>Buffers in use (for tests and diagnostics).</summary>
    public int InUse
    {
        get
        {
            int n = 0;
            foreach (int h in _host)
            {
                n += h >= 0 ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>
    /// Adds one fragment. Returns <see cref="DefragResult.Complete"/> with the whole packet in
    /// <paramref name="packet"/> (valid until the next call), <see cref="DefragResult.Pending"/>,
    /// <see cref="DefragResult.Bad"/> when the fragment does not fit what the buffer already knows, or
    /// <see cref="DefragResult.Duplicate"/>. <paramref name="evicted"/> counts incomplete buffers reused for room.
    /// </summary>
    public DefragResult Add(int host, ushort seq, int fragmentCount, int fragmentSeq, ReadOnlySpan<byte> fragment, out ReadOnlySpan<byte> packet, ref long evicted)
    {
        packet = default;
        bool isLast = fragmentSeq == fragmentCount;
        if (fragment.Length == 0 || fragment.Length > BufferSize || (long)(fragmentCount - 1) * fragment.Length >= BufferSize + (isLast ? BufferSize : 0))
        {
            return DefragResult.Bad;
        }

        int b = Find(host, seq);
        if (b < 0)
        {
            b = Allocate(host, seq, fragmentCount, ref evicted);
        }
        else if (_fragmentCount[b] != fragmentCount)
        {
            return DefragResult.Bad;
        }

        _touched[b] = ++_clock;
        int word = (b * 4) + ((fragmentSeq - 1) >> 6);
        ulong bit = 1UL << ((fragmentSeq - 1) & 63);
        if ((_have[word] & bit) != 0)
        {
            return DefragResult.Duplicate;
        }

        byte[] buffer = _buffers[b];
        if (isLast)
        {
            if (_fragmentSize[b] != 0 && fragment.Length > _fragmentSize[b])
            {
                return DefragResult.Bad;
            }

            _lastLength[b] = fragment.Length;
            if (_fragmentSize[b] != 0)
            {
                if (!Fits(b))
                {
                    Free(b);
                    return DefragResult.Bad;
                }

                fragment.CopyTo(buffer.AsSpan((fragmentCount - 1) * _fragmentSize[b]));
            }
            else
            {
                fragment.CopyTo(buffer.AsSpan(BufferSize - fragment.Length));
                _lastParked[b] = true;
            }
        }
        else
        {
            if (_fragmentSize[b] == 0)
            {
                _fragmentSize[b] = fragment.Length;
                if (_lastParked[b])
                {
                    if (_lastLength[b] > _fragmentSize[b] || !Fits(b))
                    {
                        Free(b);
                        return DefragResult.Bad;
                    }

                    // Move the early last fragment to where it belongs now that the fragment size is known.
                    buffer.AsSpan(BufferSize - _lastLength[b], _lastLength[b]).CopyTo(buffer.AsSpan((fragmentCount - 1) * _fragmentSize[b]));
                    _lastParked[b] = false;
                }
            }
            else if (fragment.Length != _fragmentSize[b])
            {
                return DefragResult.Bad;
            }

            if ((long)fragmentSeq * _fragmentSize[b] > BufferSize)
            {
                Free(b);
                return DefragResult.Bad;
            }

            fragment.CopyTo(buffer.AsSpan((fragmentSeq - 1) * _fragmentSize[b]));
        }

        _have[word] |= bit;
        if (++_received[b] < fragmentCount)
        {
            return DefragResult.Pending;
        }

        int length = ((fragmentCount - 1) * _fragmentSize[b]) + _lastLength[b];
        packet = buffer.AsSpan(0, length);
        Free(b);
        return DefragResult.Complete;
    }

    /// <summary>Frees the host's buffers whose seq is more than 32 behind <paramref name="newestSeq"/> (libknet _reclaim_old_defrag_bufs).</summary>
    public void Reclaim(int host, ushort newestSeq, ref long evicted)
    {
        for (int b = 0; b < _host.Length; b++)
        {
            if (_host[b] == host && (ushort)(newestSeq - _seq[b]) > PerHostMax)
            {
                evicted++;
                Free(b);
            }
        }
    }

    /// <summary>Frees all of a host's buffers (it became unreachable).</summary>
    public void FreeHost(int host)
    {
        for (int b = 0; b < _host.Length; b++)
        {
            if (_host[b] == host)
            {
                Free(b);
            }
        }
    }

    private bool Fits(int b) => ((long)(_fragmentCount[b] - 1) * _fragmentSize[b]) + _lastLength[b] <= BufferSize;

    private int Find(int host, ushort seq)
    {
        for (int b = 0; b < _host.Length; b++)
        {
            if (_host[b] == host && _seq[b] == seq)
            {
                return b;
            }
        }

        return -1;
    }

    private int Allocate(int host, ushort seq, int fragmentCount, ref long evicted)
    {
        int free = -1;
        int oldest = -1;
        int oldestOfHost = -1;
        int ofHost = 0;
        for (int b = 0; b < _host.Length; b++)
        {
            if (_host[b] < 0)
            {
                free = free < 0 ? b : free;
                continue;
            }

            if (oldest < 0 || _touched[b] < _touched[oldest])
            {
                oldest = b;
            }

            if (_host[b] == host)
            {
                ofHost++;
                if (oldestOfHost < 0 || _touched[b] < _touched[oldestOfHost])
                {
                    oldestOfHost = b;
                }
            }
        }

        int slot = ofHost >= PerHostMax ? oldestOfHost : free >= 0 ? free : oldest;
        if (_host[slot] >= 0)
        {
            evicted++;
        }

        _host[slot] = host;
        _seq[slot] = seq;
        _fragmentCount[slot] = fragmentCount;
        _received[slot] = 0;
        _fragmentSize[slot] = 0;
        _lastLength[slot] = -1;
        _lastParked[slot] = false;
        _have.AsSpan(slot * 4, 4).Clear();
        return slot;
    }

    private void Free(int b) => _host[b] = -1;
}

/// <summary>What <see cref="KnetDefragPool.Add"/> did with a fragment.</summary>
internal enum DefragResult
{
    Pending,
    Complete,
    Duplicate,
    Bad,
}
