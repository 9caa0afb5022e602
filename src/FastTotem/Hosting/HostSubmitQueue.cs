using System.Runtime.InteropServices;

namespace FastTotem.Hosting;

/// <summary>
/// A bounded multi-producer, single-consumer queue of byte messages from host threads to the loop thread.
/// Slots are preallocated (capacity × slot size, pinned) and claimed with one compare-and-swap on the tail,
/// after Vyukov's bounded queue: each slot carries a sequence number that says whether it is free for the
/// producer of a given lap or full for the consumer. No locks, no allocation after construction. A full
/// queue is a result (<see cref="TryEnqueue"/> returns false), never growth or blocking.
/// </summary>
internal sealed class HostSubmitQueue
{
    private readonly byte[] _slab;
    private readonly int[] _lengths;
    private readonly long[] _sequence;
    private readonly int _mask;
    private readonly int _slotSize;
    private long _tail;   // next position producers claim
    private long _head;   // next position the consumer reads (loop thread only)

    public HostSubmitQueue(int capacity, int slotSize)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "a power of two, at least 2");
        }

        _slotSize = slotSize;
        _mask = capacity - 1;
        _slab = GC.AllocateArray<byte>(capacity * slotSize, pinned: true);
        _lengths = new int[capacity];
        _sequence = new long[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _sequence[i] = i;
        }
    }

    public int Capacity => _mask + 1;

    public int SlotSize => _slotSize;

    /// <summary>Copies <paramref name="message"/> into a free slot. False when the queue is full or the message too big.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> message)
    {
        if (message.Length > _slotSize)
        {
            return false;
        }

        long position = Volatile.Read(ref _tail);
        while (true)
        {
            int index = (int)(position & _mask);
            long sequence = Volatile.Read(ref _sequence[index]);
            long difference = sequence - position;
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _tail, position + 1, position);
                if (seen == position)
                {
                    message.CopyTo(_slab.AsSpan(index * _slotSize, _slotSize));
                    _lengths[index] = message.Length;
                    Volatile.Write(ref _sequence[index], position + 1);
                    return true;
                }

                position = seen;
            }
            else if (difference < 0)
            {
                return false; // full: the consumer has not freed this slot's previous lap
            }
            else
            {
                position = Volatile.Read(ref _tail);
            }
        }
    }

    /// <summary>The oldest message, without removing it (loop thread only).</summary>
    public bool TryPeek(out ReadOnlySpan<byte> message)
    {
        int index = (int)(_head & _mask);
        if (Volatile.Read(ref _sequence[index]) != _head + 1)
        {
            message = default;
            return false;
        }

        message = _slab.AsSpan(index * _slotSize, _lengths[index]);
        return true;
    }

    /// <summary>Frees the slot <see cref="TryPeek"/> returned (loop thread only).</summary>
    public void Dequeue()
    {
        int index = (int)(_head & _mask);
        Volatile.Write(ref _sequence[index], _head + _mask + 1);
        _head++;
    }

    /// <summary>Messages waiting (approximate while producers run).</summary>
    public int Count => (int)(Volatile.Read(ref _tail) - Volatile.Read(ref _head));
}
