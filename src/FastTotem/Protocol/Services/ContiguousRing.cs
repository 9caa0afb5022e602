namespace FastTotem.Protocol.Services;

/// <summary>
/// Bookkeeping for a FIFO of variable-length blocks kept contiguous inside one fixed byte buffer: a block that does
/// not fit at the tail wraps to the front and the tail stays unused until the reader passes it. Both counts are
/// bounded at construction; a full ring refuses, it never grows. The owner holds the bytes.
/// </summary>
internal sealed class ContiguousRing
{
    private readonly int _capacityBytes;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private readonly int[] _writeBefore;
    private int _head;
    private int _count;
    private int _readPosition;
    private int _writePosition;

    public ContiguousRing(int capacityBytes, int blockCountMax)
    {
        _capacityBytes = capacityBytes;
        _offsets = new int[blockCountMax];
        _lengths = new int[blockCountMax];
        _writeBefore = new int[blockCountMax];
    }

    public int Count => _count;

    public int BlockCountMax => _offsets.Length;

    /// <summary>Reserves <paramref name="length"/> (≥ 1) contiguous bytes at the tail; -1 when there is no room.</summary>
    public int TryReserve(int length)
    {
        if (length <= 0 || length > _capacityBytes)
        {
            return -1;
        }

        int offset;
        if (_count == 0)
        {
            _readPosition = 0;
            _writePosition = 0;
            offset = 0;
        }
        else if (_count == _offsets.Length)
        {
            return -1;
        }
        else if (_writePosition > _readPosition)
        {
            offset = _capacityBytes - _writePosition >= length ? _writePosition : (_readPosition >= length ? 0 : -1);
        }
        else
        {
            offset = _readPosition - _writePosition >= length ? _writePosition : -1;
        }

        if (offset < 0)
        {
            return -1;
        }

        int slot = (_head + _count) % _offsets.Length;
        _offsets[slot] = offset;
        _lengths[slot] = length;
        _writeBefore[slot] = _writePosition;
        _writePosition = offset + length;
        _count++;
        return offset;
    }

    /// <summary>Offset and length of the oldest block; only call when <see cref="Count"/> &gt; 0.</summary>
    public void PeekHead(out int offset, out int length)
    {
        offset = _offsets[_head];
        length = _lengths[_head];
    }

    public void DequeueHead()
    {
        _head = (_head + 1) % _offsets.Length;
        _count--;
        if (_count == 0)
        {
            _readPosition = 0;
            _writePosition = 0;
        }
        else
        {
            _readPosition = _offsets[_head];
        }
    }

    /// <summary>Forgets the newest block.</summary>
    public void RollbackTail()
    {
        int slot = (_head + _count - 1) % _offsets.Length;
        _writePosition = _writeBefore[slot];
        _count--;
    }
}
