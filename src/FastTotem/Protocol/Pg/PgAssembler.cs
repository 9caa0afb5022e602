using FastTotem.Wire;

namespace FastTotem.Protocol.Pg;

/// <summary>
/// The totempg receiver: per-sender reassembly of the messages packed and fragmented in mcast payloads, fed
/// in totem delivery order. Mirrors totempg_deliver_fn, assembly_ref/assembly_deref and the configuration
/// change clean-up of totempg.c (docs/wire-format.md §7.3), including throw-away mode and its quirk: the packet that ends
/// throw-away mode delivers none of its entries.
/// <para>
/// Like corosync it keeps two sets of assemblies, one used while the node waits for the transitional
/// acknowledgement (between a ring change and the end of sync) and one otherwise, sharing one pool of slots.
/// The pool holds 2 × <c>senderCountMax</c> slots. A slot's 1 MiB + 64 KiB buffer is allocated the first time
/// the slot must hold bytes across packets (a fragment), and kept; complete unfragmented messages are
/// delivered straight from the payload without a copy.
/// </para>
/// </summary>
internal sealed class PgAssembler
{
    /// <summary>Size of one reassembly buffer (corosync: MESSAGE_SIZE_MAX + KNET_MAX_PACKET_SIZE).</summary>
    public const int AssemblyCapacity = WireLimits.AssemblyMax;

    private const byte SetFree = 0;
    private const byte SetNormal = 1;
    private const byte SetTransitional = 2;

    private readonly Slot[] _slots;
    private readonly bool _preallocate;
    private readonly SyncPhase _phase;
    private readonly int _assemblyCapacity;

    // The current regular configuration; before the first one every sender is taken.
    private readonly uint[] _members = new uint[WireLimits.ProcessorCountMax];
    private int _memberCount = -1;

    /// <param name="senderCountMax">Most distinct senders at once (the member count; at most 384).</param>
    /// <param name="preallocate">Allocate every slot's buffer now instead of at its first fragment.</param>
    /// <param name="phase">The node's synchronisation phase, whose <see cref="SyncPhase.TotempgWaitingTransAck"/> picks the
    /// buffers; an assembler used on its own gets an idle phase of its own.</param>
    /// <param name="assemblyCapacity">Bytes one reassembly buffer holds; smaller than <see cref="AssemblyCapacity"/>
    /// only for harnesses that reset many assemblers (the fuzz targets): longer messages are then dropped as oversize.</param>
    public PgAssembler(int senderCountMax = WireLimits.ProcessorCountMax, bool preallocate = false, SyncPhase? phase = null, int assemblyCapacity = AssemblyCapacity)
    {
        _phase = phase ?? SyncPhase.Idle();
        if (senderCountMax < 1 || senderCountMax > WireLimits.ProcessorCountMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(senderCountMax), "between 1 and 384 senders");
        }

        if (assemblyCapacity < WireLimits.FrameSizeMax || assemblyCapacity > AssemblyCapacity)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(assemblyCapacity), "between one frame and 1 MiB + 64 KiB");
        }

        _preallocate = preallocate;
        _assemblyCapacity = assemblyCapacity;
        _slots = new Slot[senderCountMax * 2];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot();
            if (preallocate)
            {
                _slots[i].Buffer = new byte[_assemblyCapacity];
            }
        }
    }

    /// <summary>Payloads dropped because their lengths did not add up.</summary>
    public long MalformedDrops { get; private set; }

    /// <summary>Payloads swallowed by throw-away mode.</summary>
    public long ThrownAwayPackets { get; private set; }

    /// <summary>Payloads dropped because the message outgrew the reassembly buffer.</summary>
    public long OversizeDrops { get; private set; }

    /// <summary>
    /// Continuation mismatches (the start of throw-away mode) in the transitional assemblies: a sender's chain that
    /// crossed from one side of a synchronisation to the other. Our own sender never causes one.
    /// </summary>
    public long TransitionalMismatches { get; private set; }

    /// <summary>
    /// Continuation mismatches on a sender's fresh regular assembly: the chain began before we shared a ring with
    /// the sender (we joined, or it did, while it was halfway through a message). totempg cannot assemble that.
    /// </summary>
    public long FreshSlotMismatches { get; private set; }

    /// <summary>Payloads dropped because every slot was in use by other senders.</summary>
    public long NoSlotDrops { get; private set; }

    /// <summary>Payloads dropped because their sender is not a member of the current regular configuration.</summary>
    public long NotMemberDrops { get; private set; }

    /// <summary>Slots currently holding a sender's state.</summary>
    public int SlotsInUse
    {
        get
        {
            int n = 0;
            foreach (Slot s in _slots)
            {
                n += s.Set != SetFree ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>
    /// The phase whose totempg_waiting_trans_ack this assembler reads: while set, payloads are assembled in the
    /// transitional set, so that half-assembled messages of the old ring do not mix with the new ring's.
    /// </summary>
    public SyncPhase Phase => _phase;

    /// <summary>
    /// A configuration change (app_confchg_fn): the assemblies of nodes that left are dropped in both sets,
    /// partial messages included.
    /// </summary>
    public void HandleConfigurationChange(ReadOnlySpan<uint> leftNodes)
    {
        foreach (uint node in leftNodes)
        {
            foreach (Slot slot in _slots)
            {
                if (slot.Set != SetFree && slot.NodeId == node)
                {
                    slot.Set = SetFree;
                }
            }
        }
    }

    /// <summary>
    /// A regular configuration was installed: from now on only its members get slots (a forger's fake nodeids cannot
    /// pin the pool), and the chains of every node outside it are expired in both sets, whether or not it was listed
    /// as having left (a sender may die halfway through a message before we ever shared a ring with it).
    /// </summary>
    public void HandleRegularConfiguration(ReadOnlySpan<uint> members)
    {
        int n = Math.Min(members.Length, _members.Length);
        members[..n].CopyTo(_members);
        _memberCount = n;
        foreach (Slot slot in _slots)
        {
            if (slot.Set != SetFree && !IsMember(slot.NodeId))
            {
                Release(slot);
            }
        }
    }

    private bool IsMember(uint nodeId) => _memberCount < 0 || _members.AsSpan(0, _memberCount).Contains(nodeId);

    /// <summary>Bytes held for <paramref name="nodeId"/> in the active set (0 when none).</summary>
    public int BufferedBytes(uint nodeId)
    {
        Slot? slot = Find(nodeId, ActiveSet);
        return slot is null ? 0 : slot.Index;
    }

    /// <summary>
    /// The beginning of the message <paramref name="nodeId"/> is halfway through in the regular (not transitional)
    /// assemblies, and the fragment number its next payload must continue; false when none is half assembled there
    /// (or the sender's packets are being thrown away). The span is valid until the next payload.
    /// </summary>
    public bool TryGetRegularPartial(uint nodeId, out ReadOnlySpan<byte> beginning, out byte lastFragment)
    {
        Slot? slot = Find(nodeId, SetNormal);
        if (slot is null || slot.ThrowAway || slot.LastFragment == 0 || slot.Index == 0)
        {
            beginning = default;
            lastFragment = 0;
            return false;
        }

        beginning = slot.Buffer.AsSpan(0, slot.Index);
        lastFragment = slot.LastFragment;
        return true;
    }

    /// <summary>
    /// One mcast payload from <paramref name="nodeId"/> (the mcast header's nodeid), in delivery order.
    /// Complete messages go to <paramref name="sink"/> before this returns.
    /// </summary>
    public PgReceiveResult HandlePacket<TSink>(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian, TSink sink)
        where TSink : IPgMessageSink
    {
        if (PgPacket.TryParse(payload, foreignEndian, out PgPacketView packet) != WireError.None)
        {
            MalformedDrops++;
            return PgReceiveResult.Malformed;
        }

        if (!IsMember(nodeId))
        {
            NotMemberDrops++;
            return PgReceiveResult.NotMember;
        }

        Slot? slot = Reference(nodeId);
        if (slot is null)
        {
            NoSlotDrops++;
            return PgReceiveResult.NoSlot;
        }

        int count = packet.Count;
        byte fragmented = packet.Fragmented;
        byte continuation = packet.Continuation;
        int deliverCount = fragmented != 0 ? count - 1 : count;
        ReadOnlySpan<byte> data = packet.Data;

        // The common case needs no copy: nothing buffered, fragment numbers line up.
        if (!slot.ThrowAway && slot.Index == 0 && continuation == slot.LastFragment)
        {
            slot.LastFragment = fragmented;
            int offset = 0;
            for (int i = 0; i < deliverCount; i++)
            {
                int length = packet.LengthAt(i);
                sink.OnMessage(nodeId, data.Slice(offset, length), foreignEndian);
                offset += length;
            }

            if (fragmented == 0)
            {
                Release(slot);
            }
            else if (count > 0)
            {
                // Keep the start of the fragmented last entry.
                int tail = packet.LengthAt(count - 1);
                if (!EnsureBuffer(slot) || tail >= _assemblyCapacity)
                {
                    return Oversize(slot);
                }

                data.Slice(offset, tail).CopyTo(slot.Buffer);
                slot.Index = tail;
            }

            return PgReceiveResult.Accepted;
        }

        return HandleBuffered(slot, nodeId, packet, payload.Length, foreignEndian, sink);
    }

    /// <summary>The general path of totempg_deliver_fn: append to the buffer, then deliver or throw away.</summary>
    private PgReceiveResult HandleBuffered<TSink>(Slot slot, uint nodeId, PgPacketView packet, int payloadLength, bool foreignEndian, TSink sink)
        where TSink : IPgMessageSink
    {
        // corosync asserts here; we drop the message and start the sender afresh.
        if (slot.Index + payloadLength >= _assemblyCapacity || !EnsureBuffer(slot))
        {
            return Oversize(slot);
        }

        int count = packet.Count;
        byte fragmented = packet.Fragmented;
        int deliverCount = fragmented != 0 ? count - 1 : count;
        packet.Data.CopyTo(slot.Buffer.AsSpan(slot.Index));
        PgReceiveResult result = PgReceiveResult.Accepted;

        if (slot.ThrowAway)
        {
            result = PgReceiveResult.ThrownAway;
            ThrownAwayPackets++;

            // A payload that starts a message ends throw-away mode, but (corosync's quirk) delivers nothing,
            // and the previous fragment number is left as it was.
            if (fragmented == 0 || fragmented == 1)
            {
                slot.ThrowAway = false;
                if (count > 0)
                {
                    slot.Index += packet.LengthAt(0);
                }
            }
        }
        else if (packet.Continuation == slot.LastFragment)
        {
            slot.LastFragment = fragmented;
            int start = 0;
            int length = count > 0 ? slot.Index + packet.LengthAt(0) : 0;
            for (int i = 0; i < deliverCount; i++)
            {
                sink.OnMessage(nodeId, slot.Buffer.AsSpan(start, length), foreignEndian);
                slot.Index += packet.LengthAt(i);
                start = slot.Index;
                if (i < deliverCount - 1)
                {
                    length = packet.LengthAt(i + 1);
                }
            }
        }
        else
        {
            slot.ThrowAway = true;
            result = PgReceiveResult.ThrownAway;
            ThrownAwayPackets++;
            if (slot.Set == SetTransitional)
            {
                TransitionalMismatches++;
            }
            else if (slot.LastFragment == 0 && slot.Index == 0)
            {
                FreshSlotMismatches++;
            }
        }

        if (fragmented == 0)
        {
            Release(slot);
        }
        else
        {
            // Move the fragmented last entry to the front. In throw-away mode corosync moves from wherever the
            // index points, which may not be that entry; the bytes are never delivered in that case.
            int tail = count > 0 ? packet.LengthAt(deliverCount) : 0;
            if (count > 1)
            {
                int from = slot.Index;
                if (from + tail > _assemblyCapacity)
                {
                    return Oversize(slot);
                }

                slot.Buffer.AsSpan(from, tail).CopyTo(slot.Buffer);
                slot.Index = 0;
            }

            slot.Index += tail;
        }

        return result;
    }

    private PgReceiveResult Oversize(Slot slot)
    {
        OversizeDrops++;
        Release(slot);
        return PgReceiveResult.Oversize;
    }

    private byte ActiveSet => _phase.TotempgWaitingTransAck ? SetTransitional : SetNormal;

    private Slot? Find(uint nodeId, byte set)
    {
        foreach (Slot slot in _slots)
        {
            if (slot.Set == set && slot.NodeId == nodeId)
            {
                return slot;
            }
        }

        return null;
    }

    /// <summary>assembly_ref: the sender's assembly in the active set, or a fresh one from the free pool.</summary>
    private Slot? Reference(uint nodeId)
    {
        byte set = ActiveSet;
        Slot? found = Find(nodeId, set);
        if (found is not null)
        {
            return found;
        }

        foreach (Slot slot in _slots)
        {
            if (slot.Set == SetFree)
            {
                slot.Set = set;
                slot.NodeId = nodeId;
                slot.Index = 0;
                slot.LastFragment = 0;
                slot.ThrowAway = false;
                return slot;
            }
        }

        return null;
    }

    /// <summary>assembly_deref: back to the free pool; the next reference starts clean.</summary>
    private static void Release(Slot slot)
    {
        slot.Set = SetFree;
        slot.Index = 0;
        slot.LastFragment = 0;
    }

    private bool EnsureBuffer(Slot slot)
    {
        if (slot.Buffer.Length == 0)
        {
            if (_preallocate)
            {
                return false;
            }

            // One-time, bounded by the slot count: the first fragment a slot ever holds.
            slot.Buffer = new byte[_assemblyCapacity];
        }

        return true;
    }

    private sealed class Slot
    {
        public byte Set;
        public uint NodeId;
        public int Index;
        public byte LastFragment;
        public bool ThrowAway;
        public byte[] Buffer = [];
    }
}
