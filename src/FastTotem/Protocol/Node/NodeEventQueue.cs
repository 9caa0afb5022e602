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
        slot.Change.Set(ev.ConfigKind, ev.RingId, ev.Members, ev.Left, ev.Joined);
    }

    public void EnqueueSyncComplete(MembRingId ringId, bool accelerated)
    {
        if (!TryClaim(out Slot slot))
        {
            return;
        }

        slot.Kind = NodeEventKind.SyncComplete;
        slot.Accelerated = accelerated;
        slot.Change.SetRingOnly(ringId);
    }

    public void EnqueueGather(GatherReason reason, MembRingId ringId)
    {
        if (!TryClaim(out Slot slot))
        {
            return;
        }

        slot.Kind = NodeEventKind.GatherEntered;
        slot.GatherReason = reason;
        slot.Change.SetRingOnly(ringId);
    }

    public void EnqueueCryptoReconfigure(uint senderNodeId)
    {
        if (!TryClaim(out Slot slot))
        {
            return;
        }

        slot.Kind = NodeEventKind.CryptoReconfigure;
        slot.SenderNodeId = senderNodeId;
        slot.Change.SetRingOnly(default);
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
        ev.ConfigKind = slot.Change.Kind;
        ev.RingId = slot.Change.RingId;
        ev.GatherReason = slot.GatherReason;
        ev.SenderNodeId = slot.SenderNodeId;
        ev.Accelerated = slot.Accelerated;
        ev.Members = slot.Change.Members;
        ev.Left = slot.Change.Left;
        ev.Joined = slot.Change.Joined;
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
        slot.SenderNodeId = 0;
        slot.Accelerated = false;
        _count++;
        return true;
    }

    private sealed class Slot
    {
        public NodeEventKind Kind;
        public GatherReason GatherReason;
        public uint SenderNodeId;
        public bool Accelerated;
        public readonly ConfigChangeCopy Change = new();
    }
}
