using System.Buffers.Binary;

namespace FastTotem.Hosting;

/// <summary>
/// A single-producer (the loop thread), single-consumer (one host thread) ring of variable-length
/// deliveries: [length][nodeid][pid][data], 4-byte aligned, over one pinned byte array allocated once.
/// Lock-free: the producer publishes its tail and the consumer its head with volatile writes. When a record
/// does not fit before the end of the array the producer writes a wrap marker and starts again at 0.
/// A delivery that does not fit at all is refused (<see cref="TryWrite"/> returns false) and counted by the caller.
/// </summary>
internal sealed class DeliveryQueue
{
    private const int RecordHeader = 12;
    private const int WrapMarker = -1;

    private readonly byte[] _ring;
    private long _head; // consumer position (bytes ever consumed)
    private long _tail; // producer position (bytes ever produced)

    public DeliveryQueue(int capacityBytes)
    {
        _ring = GC.AllocateArray<byte>(Align(Math.Max(capacityBytes, 64)), pinned: true);
    }

    public int Capacity => _ring.Length;

    /// <summary>Loop thread: appends one delivery. False when the consumer has not made room.</summary>
    public bool TryWrite(uint nodeId, uint pid, ReadOnlySpan<byte> data)
    {
        int need = Align(RecordHeader + data.Length);
        long tail = _tail;
        long head = Volatile.Read(ref _head);
        int offset = (int)(tail % _ring.Length);
        int untilEnd = _ring.Length - offset;
        long skip = 0;
        if (untilEnd < need)
        {
            skip = untilEnd;    // the record goes to the start; the rest of this lap is skipped
            offset = 0;
        }

        if (tail + skip + need - head > _ring.Length)
        {
            return false;
        }

        if (skip > 0)
        {
            if (untilEnd >= 4)
            {
                BinaryPrimitives.WriteInt32LittleEndian(_ring.AsSpan((int)(tail % _ring.Length)), WrapMarker);
            }
        }

        Span<byte> record = _ring.AsSpan(offset, need);
        BinaryPrimitives.WriteInt32LittleEndian(record, data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], pid);
        data.CopyTo(record[RecordHeader..]);
        Volatile.Write(ref _tail, tail + skip + need);
        return true;
    }

    /// <summary>Consumer: the oldest delivery, valid until <see cref="Release"/>.</summary>
    public bool TryPeek(out uint nodeId, out uint pid, out ReadOnlySpan<byte> data)
    {
        long head = _head;
        long tail = Volatile.Read(ref _tail);
        while (head < tail)
        {
            int offset = (int)(head % _ring.Length);
            int untilEnd = _ring.Length - offset;
            int length = untilEnd >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(offset)) : WrapMarker;
            if (length == WrapMarker || untilEnd < RecordHeader)
            {
                head += untilEnd;
                Volatile.Write(ref _head, head);
                continue;
            }

            nodeId = BinaryPrimitives.ReadUInt32LittleEndian(_ring.AsSpan(offset + 4));
            pid = BinaryPrimitives.ReadUInt32LittleEndian(_ring.AsSpan(offset + 8));
            data = _ring.AsSpan(offset + RecordHeader, length);
            return true;
        }

        nodeId = 0;
        pid = 0;
        data = default;
        return false;
    }

    /// <summary>Consumer: frees the delivery <see cref="TryPeek"/> returned.</summary>
    public void Release()
    {
        long head = _head;
        int offset = (int)(head % _ring.Length);
        int length = BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(offset));
        Volatile.Write(ref _head, head + Align(RecordHeader + length));
    }

    private static int Align(int n) => (n + 3) & ~3;
}
