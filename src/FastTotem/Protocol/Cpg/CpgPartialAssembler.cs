namespace FastTotem.Protocol.Cpg;

/// <summary>
/// Puts partial_mcast pieces back together, as libcpg does on the receiving side: per (sender node, pid, group),
/// FIRST starts a message, CONTINUED and LAST append, LAST completes it. Pieces carry no number, so this relies on
/// agreed order. A fixed number of slots, each sized for the longest message, allocated at construction.
/// </summary>
internal sealed class CpgPartialAssembler
{
    private readonly byte[] _buffer;
    private readonly int _slotLength;
    private readonly uint[] _nodeIds;
    private readonly uint[] _pids;
    private readonly int[] _groups;
    private readonly int[] _lengths;
    private readonly int[] _totals;
    private readonly bool[] _used;

    public CpgPartialAssembler(int slots, int messageLengthMax)
    {
        _slotLength = messageLengthMax;
        _buffer = GC.AllocateUninitializedArray<byte>(slots * messageLengthMax);
        _nodeIds = new uint[slots];
        _pids = new uint[slots];
        _groups = new int[slots];
        _lengths = new int[slots];
        _totals = new int[slots];
        _used = new bool[slots];
    }

    public int SlotCount => _used.Length;

    public bool InUse(int slot) => _used[slot];

    public uint NodeId(int slot) => _nodeIds[slot];

    public int Group(int slot) => _groups[slot];

    public int Find(uint nodeId, uint pid, int group)
    {
        for (int s = 0; s < _used.Length; s++)
        {
            if (_used[s] && _nodeIds[s] == nodeId && _pids[s] == pid && _groups[s] == group)
            {
                return s;
            }
        }

        return -1;
    }

    /// <summary>A free slot for a message of <paramref name="total"/> bytes; -1 when none is free.</summary>
    public int Start(uint nodeId, uint pid, int group, int total)
    {
        for (int s = 0; s < _used.Length; s++)
        {
            if (!_used[s])
            {
                _used[s] = true;
                _nodeIds[s] = nodeId;
                _pids[s] = pid;
                _groups[s] = group;
                _lengths[s] = 0;
                _totals[s] = total;
                return s;
            }
        }

        return -1;
    }

    /// <summary>Appends a piece; false when it would exceed the announced total (the caller drops the message).</summary>
    public bool Append(int slot, ReadOnlySpan<byte> piece, uint announcedTotal)
    {
        if (announcedTotal != (uint)_totals[slot] || piece.Length > _totals[slot] - _lengths[slot])
        {
            return false;
        }

        piece.CopyTo(_buffer.AsSpan((slot * _slotLength) + _lengths[slot]));
        _lengths[slot] += piece.Length;
        return true;
    }

    public bool IsComplete(int slot) => _lengths[slot] == _totals[slot];

    public ReadOnlySpan<byte> Message(int slot) => _buffer.AsSpan(slot * _slotLength, _lengths[slot]);

    public void Free(int slot) => _used[slot] = false;
}
