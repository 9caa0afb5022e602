using System.Runtime.InteropServices;
using FastTotem.Protocol.Services;
using FastTotem.Wire;

namespace FastTotem.Protocol.Cpg;

/// <summary>
/// Events waiting for the host: fixed records plus a byte ring for their data. The data of one message or confchg
/// is written once as a block that every local recipient's event refers to; the block is released when the last of
/// those events has been polled past. Both parts are bounded; a full queue refuses (the caller counts the loss).
/// It also counts the queued events of each local handle, so a handle is not given to a new process while events of
/// the previous one (its own leave's confchg, for one) still wait to be routed by that handle.
/// </summary>
internal sealed class CpgEventQueue
{
    private readonly byte[] _data;
    private readonly ContiguousRing _blocks;
    private readonly Record[] _records;
    private readonly int[] _queuedPerHandle;
    private int _head;
    private int _count;
    private bool _headPolled;

    public CpgEventQueue(int eventCountMax, int dataBytes, int localHandleCount)
    {
        _queuedPerHandle = new int[localHandleCount];
        _data = GC.AllocateUninitializedArray<byte>(dataBytes);
        _blocks = new ContiguousRing(dataBytes, eventCountMax);
        _records = new Record[eventCountMax];
    }

    public int Count => _count;

    /// <summary>Reserves a data block for <paramref name="events"/> events; false when either part is full.</summary>
    public bool TryBegin(int events, int blockLength, out int blockOffset)
    {
        blockOffset = -1;
        if (_count + events > _records.Length)
        {
            return false;
        }

        // Blocks are multiples of 8 bytes, so every block (and the address lists in it) starts 8-aligned.
        blockOffset = _blocks.TryReserve(Math.Max((blockLength + 7) & ~7, 8));
        return blockOffset >= 0;
    }

    /// <summary>Room for <paramref name="events"/> more events that carry no data block.</summary>
    public bool HasRoom(int events) => _count + events <= _records.Length;

    public Span<byte> Block(int offset, int length) => _data.AsSpan(offset, length);

    /// <summary>True while an event addressed to local handle <paramref name="handle"/> waits (or is being polled).</summary>
    public bool HasEventsFor(int handle) => _queuedPerHandle[handle] > 0;

    /// <summary>Adds an event referring to the block last begun; the last event of a block must say so.</summary>
    public void Add(in Record record)
    {
        _records[(_head + _count) % _records.Length] = record;
        _count++;
        if (record.LocalHandle >= 0)
        {
            _queuedPerHandle[record.LocalHandle]++;
        }
    }

    public bool TryPoll(out CpgEvent ev)
    {
        if (_headPolled)
        {
            ref readonly Record done = ref _records[_head];
            if (done.ReleasesBlock)
            {
                _blocks.DequeueHead();
            }

            if (done.LocalHandle >= 0)
            {
                _queuedPerHandle[done.LocalHandle]--;
            }

            _head = (_head + 1) % _records.Length;
            _count--;
            _headPolled = false;
        }

        if (_count == 0)
        {
            ev = default;
            return false;
        }

        ref readonly Record r = ref _records[_head];
        _headPolled = true;
        ReadOnlySpan<byte> name = _data.AsSpan(r.NameOffset, r.NameLength);
        ReadOnlySpan<byte> data = _data.AsSpan(r.DataOffset, r.DataLength);
        switch (r.Kind)
        {
            case CpgEventKind.ConfigChange:
                ReadOnlySpan<CpgAddress> all = MemoryMarshal.Cast<byte, CpgAddress>(data);
                ev = new CpgEvent(
                    r.Kind, r.LocalHandle, r.LocalPid, name, 0, 0, default,
                    all.Slice(0, r.MemberCount),
                    all.Slice(r.MemberCount, r.LeftCount),
                    all.Slice(r.MemberCount + r.LeftCount, r.JoinedCount),
                    default, default);
                break;
            case CpgEventKind.TotemConfigChange:
                ev = new CpgEvent(r.Kind, -1, 0, default, 0, 0, default, default, default, default, r.RingId, MemoryMarshal.Cast<byte, uint>(data));
                break;
            default:
                ev = new CpgEvent(r.Kind, r.LocalHandle, r.LocalPid, name, r.NodeId, r.Pid, data, default, default, default, default, default);
                break;
        }

        return true;
    }

    /// <summary>
    /// Keeps the event the last <see cref="TryPoll"/> returned at the head: the next poll returns it again, with
    /// its data untouched. A host whose consumer is full holds a delivery this way instead of dropping it.
    /// </summary>
    public void RetainHead() => _headPolled = false;

    internal struct Record
    {
        public CpgEventKind Kind;
        public bool ReleasesBlock;
        public int LocalHandle;
        public uint LocalPid;
        public uint NodeId;
        public uint Pid;
        public int NameOffset;
        public int NameLength;
        public int DataOffset;
        public int DataLength;
        public int MemberCount;
        public int LeftCount;
        public int JoinedCount;
        public MembRingId RingId;
    }
}
