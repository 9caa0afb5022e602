namespace FastTotem.Protocol.Srp;

/// <summary>
/// Datagrams waiting for <see cref="SrpEngine.PollTransmit"/>. An mcast is queued as a reference to its
/// message-store slot (so a retransmission sends the stored bytes without a copy); control frames (tokens, joins,
/// merge detects, hold cancels) are copied into a fixed byte arena used as a ring. Bounded: when full the newest
/// datagram is dropped and counted, as a lost datagram the protocol recovers from.
/// </summary>
internal sealed class TransmitQueue
{
    private struct Item
    {
        public MessageStore? Store;
        public uint Seq;
        public int Offset;
        public int Length;
        public uint Destination;
    }

    private readonly Item[] _items;
    private readonly byte[] _arena;
    private int _head;
    private int _arenaHead;
    private int _arenaTail;
    private int _controlCount;

    public TransmitQueue(int capacity, int arenaBytes)
    {
        _items = new Item[capacity];
        _arena = new byte[arenaBytes];
    }

    public int Count { get; private set; }

    public long Overflows { get; private set; }

    public bool EnqueueStored(MessageStore store, uint seq)
    {
        if (Count == _items.Length)
        {
            Overflows++;
            return false;
        }

        ref Item item = ref _items[(_head + Count) % _items.Length];
        item.Store = store;
        item.Seq = seq;
        item.Offset = 0;
        item.Length = 0;
        item.Destination = 0;
        Count++;
        return true;
    }

    public bool EnqueueControl(ReadOnlySpan<byte> frame, uint destination)
    {
        if (Count == _items.Length || !TryReserve(frame.Length, out int offset))
        {
            Overflows++;
            return false;
        }

        frame.CopyTo(_arena.AsSpan(offset));
        _arenaTail = offset + frame.Length;
        _controlCount++;
        ref Item item = ref _items[(_head + Count) % _items.Length];
        item.Store = null;
        item.Seq = 0;
        item.Offset = offset;
        item.Length = frame.Length;
        item.Destination = destination;
        Count++;
        return true;
    }

    /// <summary>
    /// Queues a control frame ahead of the <paramref name="behind"/> newest datagrams (the accelerated ring's token,
    /// ahead of the visit's last multicasts). It passes stored mcasts only, so control frames keep their arena order.
    /// </summary>
    public bool EnqueueControlBehind(ReadOnlySpan<byte> frame, uint destination, int behind)
    {
        if (!EnqueueControl(frame, destination))
        {
            return false;
        }

        int moves = Math.Min(behind, Count - 1);
        int at = (_head + Count - 1) % _items.Length;
        for (int i = 0; i < moves; i++)
        {
            int before = (at + _items.Length - 1) % _items.Length;
            if (_items[before].Store is null)
            {
                break; // a full queue dropped some of the visit's mcasts: never pass another control frame
            }

            (_items[before], _items[at]) = (_items[at], _items[before]);
            at = before;
        }

        return true;
    }

    private bool TryReserve(int length, out int offset)
    {
        if (_controlCount == 0)
        {
            _arenaHead = 0;
            _arenaTail = 0;
        }

        return ByteRing.TryPlace(_arenaHead, _arenaTail, _arena.Length, length, out offset);
    }

    /// <summary>
    /// Copies the oldest datagram into <paramref name="buffer"/>. Stored mcasts that were released meanwhile are
    /// skipped. Returns false when nothing is queued.
    /// </summary>
    public bool TryDequeue(Span<byte> buffer, out TransmitInfo info)
    {
        while (Count > 0)
        {
            Item item = _items[_head];
            _items[_head].Store = null;
            _head = (_head + 1) % _items.Length;
            Count--;
            if (item.Store is { } store)
            {
                ReadOnlySpan<byte> stored = store.Get(item.Seq);
                if (stored.IsEmpty)
                {
                    continue;
                }

                if (stored.Length > buffer.Length)
                {
                    Invariant.ThrowArgument("buffer", $"The transmit buffer must hold at least {stored.Length} bytes (SrpEngine.TransmitBufferSize).");
                }

                stored.CopyTo(buffer);
                info = new TransmitInfo(stored.Length, 0);
                return true;
            }

            _controlCount--;
            _arenaHead = item.Offset + item.Length;
            if (item.Length > buffer.Length)
            {
                Invariant.ThrowArgument("buffer", $"The transmit buffer must hold at least {item.Length} bytes (SrpEngine.TransmitBufferSize).");
            }

            _arena.AsSpan(item.Offset, item.Length).CopyTo(buffer);
            info = new TransmitInfo(item.Length, item.Destination);
            return true;
        }

        info = default;
        return false;
    }
}
