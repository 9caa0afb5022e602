namespace FastTotem.Fuzz;

/// <summary>
/// Reads a fuzz input as a stream of choices. Past the end every read returns zero, so any input, however short,
/// is a complete program for a target.
/// </summary>
internal ref struct FuzzInput
{
    private readonly ReadOnlySpan<byte> _data;
    private int _offset;

    public FuzzInput(ReadOnlySpan<byte> data)
    {
        _data = data;
        _offset = 0;
    }

    public readonly bool IsEmpty => _offset >= _data.Length;

    public readonly int Remaining => Math.Max(0, _data.Length - _offset);

    public byte Byte() => _offset < _data.Length ? _data[_offset++] : (byte)0;

    public ushort UInt16() => (ushort)(Byte() | (Byte() << 8));

    public uint UInt32() => (uint)(UInt16() | (UInt16() << 16));

    /// <summary>The next <paramref name="count"/> bytes, fewer at the end of the input.</summary>
    public ReadOnlySpan<byte> Bytes(int count)
    {
        int n = Math.Min(count, Remaining);
        ReadOnlySpan<byte> slice = _data.Slice(_offset, n);
        _offset += n;
        return slice;
    }

    /// <summary>Everything not read yet.</summary>
    public ReadOnlySpan<byte> Rest() => Bytes(Remaining);
}
