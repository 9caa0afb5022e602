namespace FastTotem.Protocol.Srp;

/// <summary>
/// The queue of totempg payloads waiting for the token (corosync's new_message_queue): fixed slots of the
/// largest payload size, FIFO, never grows.
/// </summary>
internal sealed class SendQueue
{
    private readonly byte[] _data;
    private readonly int[] _length;
    private readonly int _slotSize;
    private int _head;

    public SendQueue(int capacity, int slotSize)
    {
        Capacity = capacity;
        _slotSize = slotSize;
        _data = GC.AllocateArray<byte>(capacity * slotSize, pinned: true);
        _length = new int[capacity];
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    public bool TryEnqueue(ReadOnlySpan<byte> payload)
    {
        if (Count == Capacity)
        {
            return false;
        }

        int slot = (_head + Count) % Capacity;
        payload.CopyTo(_data.AsSpan(slot * _slotSize, _slotSize));
        _length[slot] = payload.Length;
        Count++;
        return true;
    }

    public ReadOnlySpan<byte> Peek() => _data.AsSpan(_head * _slotSize, _length[_head]);

    public void Dequeue()
    {
        _head = (_head + 1) % Capacity;
        Count--;
    }

    /// <summary>Takes the newest payload into <paramref name="destination"/>; false when empty.</summary>
    public bool TryTakeLast(Span<byte> destination, out int length)
    {
        if (Count == 0)
        {
            length = 0;
            return false;
        }

        int slot = (_head + Count - 1) % Capacity;
        length = _length[slot];
        _data.AsSpan(slot * _slotSize, length).CopyTo(destination);
        Count--;
        return true;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }
}
