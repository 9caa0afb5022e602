using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// Deliveries and configuration changes waiting for <see cref="SrpEngine.PollEvent"/>. A delivery refers to its
/// message-store slot; a configuration change to one of a few preallocated member-list slots. The caller must
/// drain it after each call into the engine; the capacity covers everything one call can produce.
/// </summary>
internal sealed class EventQueue
{
    private struct Item
    {
        public SrpEventKind Kind;
        public MessageStore? Store;
        public uint Seq;
        public int ConfigSlot;
        public GatherReason GatherReason;
        public MembRingId RingId;
    }

    private sealed class ConfigSlot
    {
        public ConfigChangeKind Kind;
        public MembRingId RingId;
        public readonly uint[] Members = new uint[WireLimits.ProcessorCountMax];
        public readonly uint[] Left = new uint[WireLimits.ProcessorCountMax];
        public readonly uint[] Joined = new uint[WireLimits.ProcessorCountMax];
        public int MemberCount;
        public int LeftCount;
        public int JoinedCount;
    }

    private const int ConfigSlotCount = 8;

    private readonly Item[] _items;
    private readonly ConfigSlot[] _configs;
    private int _head;
    private int _nextConfig;
    private int _pendingConfigs;

    public EventQueue(int capacity)
    {
        _items = new Item[capacity];
        _configs = new ConfigSlot[ConfigSlotCount];
        for (int i = 0; i < ConfigSlotCount; i++)
        {
            _configs[i] = new ConfigSlot();
        }
    }

    public int Count { get; private set; }

    public void EnqueueDelivery(MessageStore store, uint seq)
    {
        if (Count == _items.Length)
        {
            Invariant.ThrowInvalidOperation("PollEvent must be drained after every call into the engine.");
        }

        ref Item item = ref _items[(_head + Count) % _items.Length];
        item.Kind = SrpEventKind.Deliver;
        item.Store = store;
        item.Seq = seq;
        Count++;
    }

    /// <summary>Queues a GATHER entry; dropped when the queue is full, as it only informs.</summary>
    public void EnqueueGather(GatherReason reason, MembRingId ringId)
    {
        if (Count == _items.Length)
        {
            return;
        }

        ref Item item = ref _items[(_head + Count) % _items.Length];
        item.Kind = SrpEventKind.GatherEntered;
        item.Store = null;
        item.GatherReason = reason;
        item.RingId = ringId;
        Count++;
    }

    public void EnqueueConfigChange(
        ConfigChangeKind kind, MembRingId ringId, ReadOnlySpan<uint> members, ReadOnlySpan<uint> left, ReadOnlySpan<uint> joined)
    {
        if (Count == _items.Length || _pendingConfigs == ConfigSlotCount)
        {
            Invariant.ThrowInvalidOperation("PollEvent must be drained after every call into the engine.");
        }

        int slotIndex = _nextConfig;
        _nextConfig = (_nextConfig + 1) % ConfigSlotCount;
        _pendingConfigs++;
        ConfigSlot slot = _configs[slotIndex];
        slot.Kind = kind;
        slot.RingId = ringId;
        members.CopyTo(slot.Members);
        left.CopyTo(slot.Left);
        joined.CopyTo(slot.Joined);
        slot.MemberCount = members.Length;
        slot.LeftCount = left.Length;
        slot.JoinedCount = joined.Length;

        ref Item item = ref _items[(_head + Count) % _items.Length];
        item.Kind = SrpEventKind.ConfigChange;
        item.Store = null;
        item.ConfigSlot = slotIndex;
        Count++;
    }

    public bool TryDequeue(out SrpEvent ev)
    {
        ev = default;
        if (Count == 0)
        {
            return false;
        }

        Item item = _items[_head];
        _items[_head].Store = null;
        _head = (_head + 1) % _items.Length;
        Count--;
        ev.Kind = item.Kind;
        if (item.Kind == SrpEventKind.Deliver)
        {
            ReadOnlySpan<byte> frame = item.Store!.Get(item.Seq);
            if (McastCodec.TryDecode(frame, out McastHeader header, out ReadOnlySpan<byte> payload, out bool foreign)
                != WireError.None)
            {
                Invariant.ThrowInvalidOperation("PollEvent must be drained after every call into the engine.");
            }

            ev.SenderNodeId = header.Header.NodeId;
            ev.Seq = item.Seq;
            ev.ForeignEndian = foreign;
            ev.Payload = payload;
            return true;
        }

        if (item.Kind == SrpEventKind.GatherEntered)
        {
            ev.GatherReason = item.GatherReason;
            ev.RingId = item.RingId;
            return true;
        }

        ConfigSlot slot = _configs[item.ConfigSlot];
        _pendingConfigs--;
        ev.ConfigKind = slot.Kind;
        ev.RingId = slot.RingId;
        ev.Members = slot.Members.AsSpan(0, slot.MemberCount);
        ev.Left = slot.Left.AsSpan(0, slot.LeftCount);
        ev.Joined = slot.Joined.AsSpan(0, slot.JoinedCount);
        return true;
    }
}
