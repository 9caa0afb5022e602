using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Hosting;

/// <summary>
/// A single-producer (the loop thread), single-consumer (one host thread) slab of variable-length deliveries
/// that the host reads in place: the protocol thread copies a delivery in once, and the host gets a lease on that
/// memory (<see cref="TryTake"/>) that stays valid until it releases it (<see cref="Release"/>), in any order,
/// several at a time. The slab is one pinned array allocated at construction, so a lease's address never moves
/// (the C API hands it out as a pointer).
/// <para>
/// Record: [int length][uint nodeid][uint pid][int state][long position][data], 8-aligned. A record that does
/// not fit before the end of the array leaves a wrap marker (length -1) and goes to offset 0. Three cursors, in
/// bytes ever produced: the producer's tail, the consumer's take and the producer's head (reclaim). Only the
/// producer moves the head, over records the consumer released (state Released) and wrap markers it has taken
/// past, so memory is reused only after its lease ended. Lock-free: cursors and states are published with
/// volatile writes; a release is one compare-and-swap of the record's state.
/// </para>
/// </summary>
internal sealed class DeliveryQueue
{
    /// <summary>Bytes of a record's header.</summary>
    public const int RecordHeader = 24;

    private const int WrapMarker = -1;
    private const int StateReady = 1;
    private const int StateTaken = 2;
    private const int StateReleased = 3;

    private readonly byte[] _ring;
    private long _head; // producer: bytes reclaimed
    private long _take; // consumer: bytes handed out as leases
    private long _tail; // producer: bytes produced

    public DeliveryQueue(int capacityBytes)
    {
        _ring = GC.AllocateArray<byte>(Align(Math.Max(capacityBytes, 64)), pinned: true);
    }

    public int Capacity => _ring.Length;

    /// <summary>The largest delivery that can ever fit.</summary>
    public int MaxData => _ring.Length - RecordHeader;

    /// <summary>Bytes held by deliveries not yet released (approximate while both sides run).</summary>
    public long BytesInUse => Volatile.Read(ref _tail) - Volatile.Read(ref _head);

    /// <summary>True when a delivery may be waiting to be taken (consumer thread).</summary>
    public bool HasWaiting => Volatile.Read(ref _tail) > _take;

    /// <summary>The slab itself (pinned), for the C API's pointers.</summary>
    internal byte[] Slab => _ring;

    /// <summary>
    /// Loop thread: appends one delivery. <see cref="DeliveryWrite.Full"/> when the consumer has not released
    /// enough (the caller keeps the delivery and retries); <see cref="DeliveryWrite.TooLarge"/> when it can never fit.
    /// </summary>
    public DeliveryWrite TryWrite(uint nodeId, uint pid, ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxData)
        {
            return DeliveryWrite.TooLarge;
        }

        Reclaim();
        int need = Align(RecordHeader + data.Length);
        long tail = _tail;
        long head = _head;
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
            return DeliveryWrite.Full;
        }

        if (skip >= RecordHeader)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_ring.AsSpan((int)(tail % _ring.Length)), WrapMarker);
        }

        Span<byte> record = _ring.AsSpan(offset, need);
        BinaryPrimitives.WriteInt32LittleEndian(record, data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], pid);
        BinaryPrimitives.WriteInt32LittleEndian(record[12..], StateReady);
        BinaryPrimitives.WriteInt64LittleEndian(record[16..], tail + skip);
        data.CopyTo(record[RecordHeader..]);
        Volatile.Write(ref _tail, tail + skip + need);
        return DeliveryWrite.Ok;
    }

    /// <summary>
    /// Consumer: leases the oldest delivery not yet taken. Its data stays valid, in place, until
    /// <see cref="Release"/> with the lease's token. False when none is waiting.
    /// </summary>
    public bool TryTake(out DeliveryRecord delivery)
    {
        long take = _take;
        long tail = Volatile.Read(ref _tail);
        while (take < tail)
        {
            int offset = (int)(take % _ring.Length);
            int untilEnd = _ring.Length - offset;
            int length = untilEnd >= RecordHeader ? BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(offset)) : WrapMarker;
            if (length == WrapMarker)
            {
                take += untilEnd;
                continue;
            }

            delivery = new DeliveryRecord(
                take,
                offset + RecordHeader,
                length,
                BinaryPrimitives.ReadUInt32LittleEndian(_ring.AsSpan(offset + 4)),
                BinaryPrimitives.ReadUInt32LittleEndian(_ring.AsSpan(offset + 8)));
            Volatile.Write(ref StateOf(offset), StateTaken);
            Volatile.Write(ref _take, take + Align(RecordHeader + length));
            return true;
        }

        if (take != _take)
        {
            Volatile.Write(ref _take, take); // only wrap markers were passed
        }

        delivery = default;
        return false;
    }

    /// <summary>
    /// Ends the lease <paramref name="token"/> (a delivery's position, from <see cref="TryTake"/>). Any thread may
    /// release, but one lease is released once: a second release, or a token no lease carries, is refused.
    /// </summary>
    public DeliveryRelease Release(long token)
    {
        if (token < 0 || (token & 7) != 0)
        {
            return DeliveryRelease.NotALease;
        }

        if (token < Volatile.Read(ref _head))
        {
            return DeliveryRelease.AlreadyReleased; // reclaimed: its memory may already hold another delivery
        }

        if (token >= Volatile.Read(ref _take))
        {
            return DeliveryRelease.NotALease;
        }

        int offset = (int)(token % _ring.Length);
        if (_ring.Length - offset < RecordHeader || BinaryPrimitives.ReadInt64LittleEndian(_ring.AsSpan(offset + 16)) != token)
        {
            // Released before and reclaimed (and reused) since the head check above; otherwise no lease had it.
            return token < Volatile.Read(ref _head) ? DeliveryRelease.AlreadyReleased : DeliveryRelease.NotALease;
        }

        // EVIDENCE ONLY (branch m6-evidence, never on main): a preemption between the token check above and the CAS
        // below, made likely instead of rare, to show what a release that loses the CPU here does.
        Thread.Sleep(0);
        int was = Interlocked.CompareExchange(ref StateOf(offset), StateReleased, StateTaken);
        return was switch
        {
            StateTaken => DeliveryRelease.Ok,
            StateReleased => DeliveryRelease.AlreadyReleased,
            _ => token < Volatile.Read(ref _head) ? DeliveryRelease.AlreadyReleased : DeliveryRelease.NotALease,
        };
    }

    /// <summary>Consumer: the data of a lease (valid until it is released).</summary>
    public ReadOnlySpan<byte> Data(DeliveryRecord delivery) => _ring.AsSpan(delivery.Offset, delivery.Length);

    /// <summary>Loop thread: moves the head over released records and the wrap markers the consumer passed.</summary>
    private void Reclaim()
    {
        long head = _head;
        long take = Volatile.Read(ref _take);
        while (head < take)
        {
            int offset = (int)(head % _ring.Length);
            int untilEnd = _ring.Length - offset;
            int length = untilEnd >= RecordHeader ? BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(offset)) : WrapMarker;
            if (length == WrapMarker)
            {
                head += untilEnd;
                continue;
            }

            if (Volatile.Read(ref StateOf(offset)) != StateReleased)
            {
                break;
            }

            head += Align(RecordHeader + length);
        }

        Volatile.Write(ref _head, head);
    }

    private ref int StateOf(int recordOffset) => ref MemoryMarshal.Cast<byte, int>(_ring.AsSpan(recordOffset + 12, 4))[0];

    private static int Align(int n) => (n + 7) & ~7;
}

/// <summary>One leased delivery in a <see cref="DeliveryQueue"/>: its token (position) and where its data lies.</summary>
internal readonly record struct DeliveryRecord(long Token, int Offset, int Length, uint NodeId, uint Pid);

/// <summary>Outcome of <see cref="DeliveryQueue.TryWrite"/>.</summary>
internal enum DeliveryWrite
{
    Ok,
    Full,
    TooLarge,
}
