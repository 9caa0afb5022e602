using System.Buffers.Binary;
using System.Numerics;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// The sort queue (struct sq, sq.h): seqs from <see cref="HeadSeq"/> to HeadSeq + Capacity − 1 are "in range", each
/// with a slot indexed by seq. A slot refers to one complete mcast datagram (45-byte header plus payload, or an
/// encapsulated one) exactly as it was received or sent, so a retransmission re-sends the original bytes.
/// </summary>
/// <remarks>
/// The bytes live in one arena used as a ring, at their real length, each behind an 8-byte prefix (seq, length) so
/// the ring can reclaim from its oldest entry: an entry is dead once its seq was released or its slot reused. Frames
/// are added in arrival order, which is close to seq order, and released in seq order, so the ring reclaims almost
/// everything at once. A store that cannot fit a frame refuses it (the seq stays missing and is requested again);
/// <see cref="TryAllocate"/> with keepReserve leaves two largest entries free for the next seq the node lacks, so
/// the aru can always advance and release space. Nothing here allocates after construction.
/// </remarks>
internal sealed class MessageStore
{
    private const int WrapMarker = -1;

    private readonly byte[] _arena;
    private readonly int[] _offset;
    private readonly int[] _length;
    private readonly uint[] _seq;
    private readonly bool[] _used;
    private readonly uint[] _missCount;
    private readonly int _mask;
    private readonly int _reserveBytes;

    // The ring: live and dead entries from _arenaHead (oldest) to _arenaTail (next write); _entries counts them.
    private int _arenaHead;
    private int _arenaTail;
    private int _entries;

    public MessageStore(int capacity, int arenaBytes, int frameSizeMax)
    {
        int cap = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 16));
        Invariant.That(frameSizeMax > 0 && arenaBytes >= 4 * (frameSizeMax + SrpLimits.StoreEntryPrefix),
            "a message store's arena must hold at least four largest frames");
        Capacity = cap;
        FrameSizeMax = frameSizeMax;
        _reserveBytes = 2 * (frameSizeMax + SrpLimits.StoreEntryPrefix);
        _mask = cap - 1;
        _arena = GC.AllocateArray<byte>(arenaBytes, pinned: true);
        _offset = new int[cap];
        _length = new int[cap];
        _seq = new uint[cap];
        _used = new bool[cap];
        _missCount = new uint[cap];
    }

    /// <summary>For tests: a store whose arena holds every slot at <paramref name="frameSizeMax"/>.</summary>
    public MessageStore(int capacity, int frameSizeMax)
        : this(capacity, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 16)) * (frameSizeMax + SrpLimits.StoreEntryPrefix), frameSizeMax)
    {
    }

    public int Capacity { get; }

    /// <summary>The largest frame the store takes.</summary>
    public int FrameSizeMax { get; }

    public int ArenaBytes => _arena.Length;

    /// <summary>The lowest seq that can be stored (sq head_seqid).</summary>
    public uint HeadSeq { get; private set; }

    /// <summary>sq_reinit: empties the store and makes <paramref name="headSeq"/> the lowest storable seq.</summary>
    public void Reset(uint headSeq)
    {
        Array.Clear(_used);
        Array.Clear(_missCount);
        HeadSeq = headSeq;
        _arenaHead = 0;
        _arenaTail = 0;
        _entries = 0;
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
        return _arena.AsSpan(_offset[i], _length[i]);
    }

    /// <summary>
    /// Takes <paramref name="length"/> arena bytes for <paramref name="seq"/> and records the seq as present; the
    /// caller fills <paramref name="frame"/> before its next call into the store. The caller checked
    /// <see cref="InRange"/>. A seq already present is replaced (the sender's own frame wins over one a peer
    /// sent ahead of the token). With <paramref name="keepReserve"/> the store refuses a frame that would leave less
    /// than the reserve free. False when the arena has no room.
    /// </summary>
    public bool TryAllocate(uint seq, int length, bool keepReserve, out Span<byte> frame)
    {
        Invariant.That(InRange(seq), "a stored seq is within the store's range");
        Invariant.That(length > 0 && length <= FrameSizeMax, "a stored frame is 1 to FrameSizeMax bytes");
        _used[(int)(seq & (uint)_mask)] = false;
        Reclaim();
        int need = SrpLimits.StoreEntryPrefix + length;
        if ((keepReserve && FreeBytes() < need + _reserveBytes) || !TryReserve(need, out int offset))
        {
            frame = default;
            return false;
        }

        Span<byte> prefix = _arena.AsSpan(offset, SrpLimits.StoreEntryPrefix);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix, seq);
        BinaryPrimitives.WriteInt32LittleEndian(prefix[4..], length);
        _arenaTail = offset + need;
        _entries++;

        int i = (int)(seq & (uint)_mask);
        _seq[i] = seq;
        _offset[i] = offset + SrpLimits.StoreEntryPrefix;
        _length[i] = length;
        _used[i] = true;
        _missCount[i] = 0;
        frame = _arena.AsSpan(offset + SrpLimits.StoreEntryPrefix, length);
        return true;
    }

    /// <summary>Stores a copy of <paramref name="datagram"/> at <paramref name="seq"/> (sq_item_add); false when it does not fit.</summary>
    public bool TryAdd(uint seq, ReadOnlySpan<byte> datagram, bool keepReserve)
    {
        if (!TryAllocate(seq, datagram.Length, keepReserve, out Span<byte> frame))
        {
            return false;
        }

        datagram.CopyTo(frame);
        return true;
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

    /// <summary>Free arena bytes, counting both parts of a wrapped ring.</summary>
    public int FreeBytes()
    {
        if (_entries == 0)
        {
            return _arena.Length;
        }

        return _arenaTail >= _arenaHead ? _arena.Length - _arenaTail + _arenaHead : _arenaHead - _arenaTail;
    }

    /// <summary>Drops dead entries from the oldest end of the ring (bounded by the entry count).</summary>
    private void Reclaim()
    {
        while (_entries > 0)
        {
            if (_arena.Length - _arenaHead < SrpLimits.StoreEntryPrefix)
            {
                _arenaHead = 0;
                continue;
            }

            ReadOnlySpan<byte> prefix = _arena.AsSpan(_arenaHead, SrpLimits.StoreEntryPrefix);
            int length = BinaryPrimitives.ReadInt32LittleEndian(prefix[4..]);
            if (length == WrapMarker)
            {
                _arenaHead = 0;
                continue;
            }

            uint seq = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
            int i = (int)(seq & (uint)_mask);
            if (_used[i] && _seq[i] == seq && _offset[i] == _arenaHead + SrpLimits.StoreEntryPrefix)
            {
                return;
            }

            _arenaHead += SrpLimits.StoreEntryPrefix + length;
            _entries--;
        }

        _arenaHead = 0;
        _arenaTail = 0;
    }

    /// <summary>A contiguous run of <paramref name="need"/> bytes; a wrap leaves a marker for <see cref="Reclaim"/>.</summary>
    private bool TryReserve(int need, out int offset)
    {
        if (!ByteRing.TryPlace(_arenaHead, _arenaTail, _arena.Length, need, out offset))
        {
            return false;
        }

        if (offset == 0 && _arenaTail != 0 && _arena.Length - _arenaTail >= SrpLimits.StoreEntryPrefix)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_arena.AsSpan(_arenaTail + 4, 4), WrapMarker);
        }

        return true;
    }
}
