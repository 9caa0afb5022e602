using System.Numerics;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// The sort queue (struct sq, sq.h): a preallocated ring of message slots indexed by ring seq. Every slot holds one
/// complete mcast datagram (45-byte header plus payload, or an encapsulated one) exactly as it was received or
/// sent, so a retransmission re-sends the original bytes. Seqs from <see cref="HeadSeq"/> to HeadSeq + Capacity − 1
/// are "in range"; releasing moves the head forward. Nothing here allocates after construction.
/// </summary>
internal sealed class MessageStore
{
    private readonly byte[] _data;
    private readonly int[] _length;
    private readonly uint[] _seq;
    private readonly bool[] _used;
    private readonly uint[] _missCount;
    private readonly int _mask;

    public MessageStore(int capacity, int slotSize)
    {
        int cap = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 16));
        Capacity = cap;
        SlotSize = slotSize;
        _mask = cap - 1;
        _data = GC.AllocateArray<byte>(cap * slotSize, pinned: true);
        _length = new int[cap];
        _seq = new uint[cap];
        _used = new bool[cap];
        _missCount = new uint[cap];
    }

    public int Capacity { get; }

    public int SlotSize { get; }

    /// <summary>The lowest seq that can be stored (sq head_seqid).</summary>
    public uint HeadSeq { get; private set; }

    /// <summary>sq_reinit: empties the store and makes <paramref name="headSeq"/> the lowest storable seq.</summary>
    public void Reset(uint headSeq)
    {
        Array.Clear(_used);
        Array.Clear(_missCount);
        HeadSeq = headSeq;
    }

    /// <summary>sq_in_range.</summary>
    public bool InRange(uint seq) => seq - HeadSeq < (uint)Capacity;

    /// <summary>sq_item_inuse (with a range check: out-of-range seqs count as present, so they are never stored).</summary>
    public bool Contains(uint seq)
    {
        if (!InRange(seq))
        {
            return false;
        }

        int i = (int)(seq & (uint)_mask);
        return _used[i] && _seq[i] == seq;
    }

    /// <summary>The stored datagram for <paramref name="seq"/>, or an empty span when absent.</summary>
    public ReadOnlySpan<byte> Get(uint seq)
    {
        if (!Contains(seq))
        {
            return default;
        }

        int i = (int)(seq & (uint)_mask);
        return _data.AsSpan(i * SlotSize, _length[i]);
    }

    /// <summary>
    /// Reserves the slot for <paramref name="seq"/> and returns it for the caller to fill; <see cref="Commit"/>
    /// then records the length. The caller checked <see cref="InRange"/> and that the seq is not present.
    /// </summary>
    public Span<byte> SlotFor(uint seq)
    {
        int i = (int)(seq & (uint)_mask);
        return _data.AsSpan(i * SlotSize, SlotSize);
    }

    public void Commit(uint seq, int length)
    {
        int i = (int)(seq & (uint)_mask);
        _seq[i] = seq;
        _length[i] = length;
        _used[i] = true;
        _missCount[i] = 0;
    }

    /// <summary>Stores a copy of <paramref name="datagram"/> at <paramref name="seq"/> (sq_item_add).</summary>
    public void Add(uint seq, ReadOnlySpan<byte> datagram)
    {
        datagram.CopyTo(SlotFor(seq));
        Commit(seq, datagram.Length);
    }

    /// <summary>sq_item_miss_count: counts one more token visit on which this seq was missing.</summary>
    public uint IncrementMissCount(uint seq)
    {
        int i = (int)(seq & (uint)_mask);
        return ++_missCount[i];
    }

    /// <summary>sq_items_release: frees every seq up to and including <paramref name="seq"/>.</summary>
    public void ReleaseThrough(uint seq)
    {
        uint count = seq - HeadSeq + 1;
        if (count > (uint)Capacity)
        {
            count = (uint)Capacity;
        }

        for (uint k = 0; k < count; k++)
        {
            int i = (int)((HeadSeq + k) & (uint)_mask);
            _used[i] = false;
            _missCount[i] = 0;
        }

        HeadSeq = seq + 1;
    }
}
