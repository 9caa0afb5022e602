namespace FastTotem.Protocol.Srp;

/// <summary>A fixed-capacity FIFO of seqs (the old-ring seqs still to be re-sent in RECOVERY).</summary>
internal sealed class SeqFifo
{
    private readonly uint[] _items;
    private int _head;

    public SeqFifo(int capacity) => _items = new uint[capacity];

    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    public bool TryEnqueue(uint seq)
    {
        if (Count == _items.Length)
        {
            return false;
        }

        _items[(_head + Count) % _items.Length] = seq;
        Count++;
        return true;
    }

    public uint Peek() => _items[_head];

    public void Dequeue()
    {
        _head = (_head + 1) % _items.Length;
        Count--;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }
}
