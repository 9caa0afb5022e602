using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Protocol.Node;

/// <summary>
/// The configuration changes and sync completions a machine with services reports, copied out of the engine (whose
/// buffers the next input reuses) into preallocated slots. One input produces at most a transitional and a regular
/// change and a completion; the loop drains after every input, so the capacity is a bound, not a budget. A full queue
/// drops and counts.
/// </summary>
internal sealed class NodeEventQueue
{
    private const int Capacity = 16;

    private readonly Slot[] _slots = new Slot[Capacity];
    private readonly NodeCounters _counters;
    private int _head;
    private int _count;

    public NodeEventQueue(NodeCounters counters)
    {
        _counters = counters;
        for (int i = 0; i < Capacity; i++)
        {
            _slots[i] = new Slot();
        }
    }

    public int Count => _count;

    public void EnqueueConfigChange(in SrpEvent ev)
    {
        if (!TryClaim(out Slot slot))
        {
            return;
        }

        slot.Kind = NodeEventKind.ConfigChange;
        slot.ConfigKind = ev.ConfigKind;
        slot.RingId = ev.RingId;
        ev.Members.CopyTo(slot.Members);
        ev.Left.CopyTo(slot.Left);
        ev.Joined.CopyTo(slot.Joined);
        slot.MemberCount = ev.Members.Length;
        slot.LeftCount = ev.Left.Length;
        slot.JoinedCount = ev.Joined.Length;
    }

    public void EnqueueSyncComplete(MembRingId ringId)
    {
        if (!TryClaim(out Slot slot))
        {
            return;
        }

        slot.Kind = NodeEventKind.SyncComplete;
        slot.RingId = ringId;
        slot.MemberCount = slot.LeftCount = slot.JoinedCount = 0;
    }

    public void EnqueueGather(GatherReason reason, MembRingId ringId)
    {
        if (!TryClaim(out Slot slot))
        {
            return;
        }

        slot.Kind = NodeEventKind.GatherEntered;
        slot.GatherReason = reason;
        slot.RingId = ringId;
        slot.MemberCount = slot.LeftCount = slot.JoinedCount = 0;
    }

    public bool TryDequeue(out NodeEvent ev)
    {
        ev = default;
        if (_count == 0)
        {
            return false;
        }

        Slot slot = _slots[_head];
        _head = (_head + 1) % Capacity;
        _count--;
        ev.Kind = slot.Kind;
        ev.ConfigKind = slot.ConfigKind;
        ev.RingId = slot.RingId;
        ev.GatherReason = slot.GatherReason;
        ev.Members = slot.Members.AsSpan(0, slot.MemberCount);
        ev.Left = slot.Left.AsSpan(0, slot.LeftCount);
        ev.Joined = slot.Joined.AsSpan(0, slot.JoinedCount);
        return true;
    }

    public void Clear()
    {
        _head = 0;
        _count = 0;
    }

    private bool TryClaim(out Slot slot)
    {
        if (_count == Capacity)
        {
            _counters.EventOverflowDrops++;
            slot = null!;
            return false;
        }

        slot = _slots[(_head + _count) % Capacity];
        _count++;
        return true;
    }

    private sealed class Slot
    {
        public NodeEventKind Kind;
        public ConfigChangeKind ConfigKind;
        public MembRingId RingId;
        public GatherReason GatherReason;
        public readonly uint[] Members = new uint[WireLimits.ProcessorCountMax];
        public readonly uint[] Left = new uint[WireLimits.ProcessorCountMax];
        public readonly uint[] Joined = new uint[WireLimits.ProcessorCountMax];
        public int MemberCount;
        public int LeftCount;
        public int JoinedCount;
    }
}
