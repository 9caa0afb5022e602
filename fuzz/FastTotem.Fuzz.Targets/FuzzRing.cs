using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Fuzz;

/// <summary>
/// Three whole nodes (<see cref="NodeMachine"/>: the SRP engine and everything above it, totempg, sync v2,
/// cmap/cpg/quorum/votequorum, as every driver runs them) on a deterministic network: a virtual clock, a fixed one-way
/// latency, FIFO delivery, links that can be cut. Built once per prepared state and restored from a snapshot for every
/// fuzz input (<see cref="PreparedRing"/>), so the same input always meets the same state. Every input reaches a
/// machine through <see cref="NodeLoop.Step"/>, the loop production runs; the ring's <see cref="INodeIo.OnFault"/>
/// rethrows what the loop caught, so a bug reaches the fuzzer as a crash instead of becoming a quiet fault.
/// </summary>
internal sealed class FuzzRing : IPgGroupHandler
{
    public const int NodeCount = 3;
    public const long LatencyNs = 1_000_000;
    public const int TokenTimeoutMs = 1000;
    private const int PacketsMax = 4096;
    private const int PumpRoundsMax = 64;

    /// <summary>The group the fuzz targets' own messages travel on.</summary>
    public static readonly PgGroupSet AppGroup = new("fuzz"u8);

    /// <summary>
    /// CPG sized for a 3-node test ring rather than a production node: every input restores the whole ring from a
    /// snapshot, and a restore copies every buffer, so the buffers are as small as the targets' traffic allows.
    /// </summary>
    private static readonly CpgLimits CpgLimits = new()
    {
        GroupCountMax = 64,
        ProcessCountMax = 256,
        LocalProcessCountMax = 16,
        EventCountMax = 256,
        EventDataBytes = 16 * 1024,
        MessageLengthMax = 16 * 1024,
        PartialSlotCount = 1,
    };

    /// <summary>The transmit queue's control-frame arena: two commit tokens for 384 members.</summary>
    private const int ControlArenaBytes = 2 * 10_793;

    /// <summary>The service outbox: one CPG piece of <see cref="CpgLimits"/>' largest message and room to spare.</summary>
    private const int OutboxBytes = 32 * 1024;

    /// <summary>totempg's send queue: the engine target's largest message (4 KiB) is 3 payloads.</summary>
    private const int PackerQueueCapacity = 16;

    /// <summary>totempg's reassembly buffers: the targets' messages are at most 4 KiB; longer forged chains drop as oversize.</summary>
    private const int AssemblyBytes = 64 * 1024;

    public readonly SrpEngine[] Engines = new SrpEngine[NodeCount];
    public readonly NodeMachine[] Machines = new NodeMachine[NodeCount];
    public readonly uint[] NodeIds = [1, 2, 3];

    /// <summary>Links[from, to]: false drops the datagrams from one node to the other.</summary>
    private readonly bool[,] _links = new bool[NodeCount, NodeCount];
    private readonly Queue<Packet> _packets = new();

    public FuzzRing()
    {
        uint[] votes = [1, 1, 1];
        for (int i = 0; i < NodeCount; i++)
        {
            // Small stores, queues and windows keep the per-input restore cheap (it copies every buffer); a 3-node ring
            // with a few messages never fills them, and the window (16 + 8) stays below the store's run (32).
            // The control arena holds two of the largest control frames instead of 24 (259 KB): with a 3-node nodelist
            // the engine refuses joins naming anyone else, so its own control frames are a few hundred bytes.
            SrpConfig config = SrpConfig.CorosyncDefaults(NodeIds[i], NodeIds, tokenMs: TokenTimeoutMs)
                with { StoreCapacity = 64, SendQueueCapacity = 16, WindowSize = 16, MaxMessages = 8, ControlArenaBytes = ControlArenaBytes };
            Engines[i] = new SrpEngine(config, new MemoryRingSeqStore());
            Machines[i] = new NodeMachine(Engines[i], VotequorumConfig.FromNodelist(NodeIds[i], NodeIds, votes), CpgLimits, OutboxBytes,
                PackerQueueCapacity, AssemblyBytes);
            Machines[i].JoinGroup("fuzz"u8, this);
            for (int k = 0; k < NodeCount; k++)
            {
                _links[i, k] = true;
            }
        }
    }

    public long Now { get; private set; }

    public int PacketCount => _packets.Count;

    public long PacketsDropped { get; private set; }

    public long Deliveries { get; private set; }

    public long SyncsCompleted { get; private set; }

    /// <summary>When set, every datagram put on the wire is copied here (seed corpus generation).</summary>
    public List<byte[]>? Recorded { get; set; }

    public void StartAll()
    {
        for (int i = 0; i < NodeCount; i++)
        {
            Run(i, NodeLoop.Input.Start);
        }
    }

    /// <summary>Cuts or heals both directions between node <paramref name="index"/> and every other node.</summary>
    public void Isolate(int index, bool isolated)
    {
        for (int k = 0; k < NodeCount; k++)
        {
            if (k != index)
            {
                _links[index, k] = !isolated;
                _links[k, index] = !isolated;
            }
        }
    }

    public void HealAll()
    {
        for (int i = 0; i < NodeCount; i++)
        {
            Isolate(i, false);
        }
    }

    /// <summary>Hands <paramref name="datagram"/> to node <paramref name="index"/> as if it came off the wire from
    /// <paramref name="source"/> (0: an address not in the nodelist).</summary>
    public void Inject(int index, uint source, ReadOnlySpan<byte> datagram)
    {
        byte[] bytes = PacketBuffers.Rent(datagram.Length);
        datagram.CopyTo(bytes);
        Run(index, NodeLoop.Input.None, source, bytes, datagram.Length);
        PacketBuffers.Return(bytes);
    }

    /// <summary>An application message from node <paramref name="index"/> on the fuzz group; false when refused.</summary>
    public bool Send(int index, ReadOnlySpan<byte> payload)
    {
        bool queued = Machines[index].TrySend(AppGroup, payload) == SendResult.Ok;
        Pump(index);
        return queued;
    }

    /// <summary>One <see cref="NodeLoop.Step"/> of node <paramref name="index"/> with nothing received: what it
    /// queued goes to the network and its events are drained (and a timer already due fires, as on a live node).</summary>
    public void Pump(int index) => Run(index, NodeLoop.Input.None);

    private void Run(int index, NodeLoop.Input input, uint source = 0, byte[]? datagram = null, int length = 0)
    {
        var io = new RingIo(this, index, source, datagram ?? [], length);
        NodeLoop.Step(Machines[index], ref io, Now, input);
    }

    private void Route(int from, ReadOnlySpan<byte> datagram, uint destination)
    {
        if (destination == 0)
        {
            for (int k = 0; k < NodeCount; k++)
            {
                Enqueue(from, k, datagram);
            }
        }
        else if (destination >= 1 && destination <= NodeCount)
        {
            Enqueue(from, (int)destination - 1, datagram);
        }
    }

    /// <summary>The ring as one node's loop sees it: at most one received datagram, transmits onto the wire.</summary>
    private readonly struct RingIo(FuzzRing ring, int index, uint source, byte[] datagram, int length) : INodeIo
    {
        public int ReceivedCount => length == 0 ? 0 : 1;

        public ReadOnlySpan<byte> Received(int i) => datagram.AsSpan(0, length);

        public NodeSource ReceivedSource(int i) => new(source);

        public void Transmit(ReadOnlySpan<byte> bytes, uint destination) => ring.Route(index, bytes, destination);

        public void Flush()
        {
        }

        public void OnEvent(in NodeEvent ev)
        {
            if (ev.Kind == NodeEventKind.SyncComplete)
            {
                ring.SyncsCompleted++;
            }
        }

        public void OnFault(Exception exception) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
    }

    private void Enqueue(int from, int to, ReadOnlySpan<byte> datagram)
    {
        if (!_links[from, to] || _packets.Count >= PacketsMax)
        {
            PacketsDropped++;
            return;
        }

        Recorded?.Add(datagram.ToArray());
        byte[] bytes = RentPacket(datagram.Length);
        datagram.CopyTo(bytes);
        _packets.Enqueue(new Packet(bytes, datagram.Length, from, to, Now + LatencyNs, _pooling));
    }

    /// <summary>Runs the next network or timer event at or before <paramref name="untilNs"/>; false when none is due.</summary>
    public bool Step(long untilNs)
    {
        long next = _packets.Count > 0 ? _packets.Peek().AtNs : long.MaxValue;
        for (int i = 0; i < NodeCount; i++)
        {
            next = Math.Min(next, Machines[i].PollTimeout());
        }

        if (next > untilNs)
        {
            return false;
        }

        Now = Math.Max(Now, next);
        if (_packets.Count > 0 && _packets.Peek().AtNs <= Now)
        {
            DeliverNext();
            return true;
        }

        for (int i = 0; i < NodeCount; i++)
        {
            if (Machines[i].PollTimeout() <= Now)
            {
                Run(i, NodeLoop.Input.None);
            }
        }

        return true;
    }

    /// <summary>Delivers the oldest datagram in flight now, whatever its due time.</summary>
    public void DeliverNext()
    {
        Packet p = _packets.Dequeue();
        if (_links[p.From, p.To])
        {
            Run(p.To, NodeLoop.Input.None, NodeIds[p.From], p.Bytes, p.Length);
        }

        Release(p);
    }

    /// <summary>Drops the oldest datagram in flight.</summary>
    public void DropNext()
    {
        if (_packets.Count > 0)
        {
            Release(_packets.Dequeue());
            PacketsDropped++;
        }
    }

    /// <summary>Puts a copy of the oldest datagram in flight at the back of the queue.</summary>
    public void DuplicateNext()
    {
        if (_packets.Count > 0 && _packets.Count < PacketsMax)
        {
            Packet p = _packets.Peek();
            byte[] copy = RentPacket(p.Length);
            p.Bytes.AsSpan(0, p.Length).CopyTo(copy);
            _packets.Enqueue(p with { Bytes = copy, AtNs = Now + LatencyNs, Pooled = _pooling });
        }
    }

    /// <summary>Moves the oldest datagram in flight to the back of the queue.</summary>
    public void DelayNext()
    {
        if (_packets.Count > 1)
        {
            Packet p = _packets.Dequeue();
            _packets.Enqueue(p with { AtNs = Now + LatencyNs });
        }
    }

    /// <summary>Flips bits of the oldest datagram in flight.</summary>
    public void CorruptNext(int offset, byte mask)
    {
        if (_packets.Count > 0)
        {
            Packet p = _packets.Peek();
            if (p.Length > 0)
            {
                p.Bytes[offset % p.Length] ^= mask;
            }
        }
    }

    public void RunFor(long durationNs)
    {
        long until = Now + durationNs;
        while (Step(until))
        {
        }

        Now = Math.Max(Now, until);
    }

    /// <summary>Steps until node <paramref name="index"/> is in <paramref name="state"/>; false if it never got there.</summary>
    public bool RunUntilState(int index, SrpState state, long withinNs)
    {
        long until = Now + withinNs;
        while (Engines[index].State != state)
        {
            if (!Step(until))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Steps until every node is operational in the 3-node ring and synchronised on it; false if not in time.</summary>
    public bool RunUntilFormed(long withinNs)
    {
        long until = Now + withinNs;
        while (!AllOperational() || SyncsCompleted < NodeCount || !SyncDone())
        {
            if (!Step(until))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Steps until every node is operational in the 3-node ring with no synchronisation pending; false if not in time.</summary>
    public bool RunUntilSettled(long withinNs)
    {
        long until = Now + withinNs;
        while (!AllOperational() || !SyncDone())
        {
            if (!Step(until))
            {
                Now = Math.Max(Now, until);
                return false;
            }
        }

        return true;
    }

    private bool SyncDone()
    {
        for (int i = 0; i < NodeCount; i++)
        {
            if (Engines[i].WaitingTransAck)
            {
                return false;
            }
        }

        return true;
    }

    public bool AllOperational()
    {
        for (int i = 0; i < NodeCount; i++)
        {
            if (Engines[i].State != SrpState.Operational || Engines[i].Members.Length != NodeCount)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// What must hold of every node whatever arrived: the installed membership holds distinct non-zero nodeids,
    /// includes the node itself once a ring is installed, and the ring's representative is a member of it.
    /// </summary>
    public void CheckInvariants()
    {
        for (int i = 0; i < NodeCount; i++)
        {
            SrpEngine e = Engines[i];
            if (Machines[i].Faulted)
            {
                throw new FuzzInvariantException($"node {e.NodeId} faulted: {Machines[i].FaultException}");
            }

            ReadOnlySpan<uint> members = e.Members;
            if (members.Length > WireLimits.ProcessorCountMax)
            {
                throw new FuzzInvariantException($"node {e.NodeId}: {members.Length} members");
            }

            bool self = false;
            for (int m = 0; m < members.Length; m++)
            {
                if (members[m] == 0)
                {
                    throw new FuzzInvariantException($"node {e.NodeId}: member nodeid 0");
                }

                self |= members[m] == e.NodeId;
                for (int n = m + 1; n < members.Length; n++)
                {
                    if (members[m] == members[n])
                    {
                        throw new FuzzInvariantException($"node {e.NodeId}: member {members[m]} listed twice");
                    }
                }
            }

            if (e.State == SrpState.Operational && !self)
            {
                throw new FuzzInvariantException($"node {e.NodeId}: operational in a ring without itself");
            }

            if (e.State == SrpState.Operational && members.IndexOf(e.RingId.Rep) < 0)
            {
                throw new FuzzInvariantException($"node {e.NodeId}: ring representative {e.RingId.Rep} is not a member");
            }
        }
    }

    /// <summary>
    /// A hash of what the ring did: the clock, counters, each node's SRP state, ring and membership, and every datagram
    /// still in flight. Two runs of one input from the same state give the same fingerprint.
    /// </summary>
    public ulong Fingerprint()
    {
        ulong hash = 14695981039346656037UL; // FNV-1a over 64-bit words and bytes
        void Add(long value) => hash = (hash ^ (ulong)value) * 1099511628211UL;

        Add(Now);
        Add(PacketsDropped);
        Add(Deliveries);
        Add(SyncsCompleted);
        for (int i = 0; i < NodeCount; i++)
        {
            SrpEngine e = Engines[i];
            Add((long)e.State);
            Add((long)e.RingId.Seq);
            Add(e.RingId.Rep);
            Add(Machines[i].Faulted ? 1 : 0);
            foreach (uint member in e.Members)
            {
                Add(member);
            }
        }

        foreach (Packet p in _packets)
        {
            Add(p.From * 16 + p.To);
            Add(p.AtNs);
            foreach (byte b in p.Bytes.AsSpan(0, p.Length))
            {
                Add(b);
            }
        }

        return hash;
    }

    /// <summary>Each node's SRP state, ring, and synchronisation state (for failure messages).</summary>
    public string Describe()
    {
        var text = new System.Text.StringBuilder($"at {Now / 1_000_000} ms:");
        for (int i = 0; i < NodeCount; i++)
        {
            object? stack = typeof(NodeMachine).GetField("_stack", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)?.GetValue(Machines[i]);
            var sync = stack?.GetType().GetField("_sync", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)?.GetValue(stack) as FastTotem.Protocol.Sync.SyncEngine;
            text.Append($" node {NodeIds[i]} {Engines[i].State} ring {Engines[i].RingId} [{string.Join(",", Engines[i].Members.ToArray())}]");
            if (sync is not null)
            {
                text.Append($" sync {sync.State} ring {sync.RingId} service {sync.CurrentServiceId} pending {sync.PendingMessages} inprogress {sync.IsSyncInProgress}");
                if (Environment.GetEnvironmentVariable("FUZZ_TRACE") == "1")
                {
                    const System.Reflection.BindingFlags F = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public;
                    object? Get(object? o, string name) => o?.GetType().GetField(name, F)?.GetValue(o) ?? o?.GetType().GetProperty(name, F)?.GetValue(o);
                    text.Append($" srp trans {Get(Get(Engines[i], "_transQueue"), "Count")} regular {Get(Get(Engines[i], "_sendQueue"), "Count")} transPacker avail {Get(Get(stack, "_transPacker"), "QueueAvailable")} packer avail {Get(Get(stack, "_packer"), "QueueAvailable")} held {Get(Get(stack, "_held"), "Count")} outbox {Get(Get(stack, "_outbox"), "Count")} wta {Machines[i].Phase.TotempgWaitingTransAck} asm thrown {Machines[i].Assembler.ThrownAwayPackets} transmis {Machines[i].Assembler.TransitionalMismatches} freshmis {Machines[i].Assembler.FreshSlotMismatches} notmember {Machines[i].Assembler.NotMemberDrops} sync old {sync.OldRingMessages} unexpected {sync.UnexpectedMessages} malformed {sync.MalformedMessages}");
                }

                text.Append(';');
            }
        }

        return text.ToString();
    }

    public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Deliveries++;

    /// <summary>A datagram in flight: the first <paramref name="Length"/> bytes of <paramref name="Bytes"/>;
    /// <paramref name="Pooled"/> when the buffer came from <see cref="PacketBuffers"/> (after the ring's snapshot).</summary>
    private readonly record struct Packet(byte[] Bytes, int Length, int From, int To, long AtNs, bool Pooled);

    /// <summary>
    /// Packet buffers outside the ring's object graph, so a snapshot neither copies nor restores them: a packet put on
    /// the wire after the snapshot borrows one and gives it back once delivered or dropped, and the ring hands back what
    /// is still in flight before its snapshot is restored (<see cref="ReturnPooledPackets"/>). A ring built from
    /// nothing, and the packets of a snapshot, use buffers of their own (<see cref="_pooling"/> is off until the
    /// snapshot is taken), so a restored packet never shares a buffer with a later one.
    /// </summary>
    private bool _pooling;

    /// <summary>From now on packets borrow their buffers (a prepared ring, after its snapshot and after every restore).</summary>
    internal void PoolPackets() => _pooling = true;

    /// <summary>Gives back the buffers of the pooled packets in flight (before a restore drops them from the queue).</summary>
    internal void ReturnPooledPackets()
    {
        foreach (Packet p in _packets)
        {
            if (p.Pooled)
            {
                PacketBuffers.Return(p.Bytes);
            }
        }
    }

    private byte[] RentPacket(int length) => _pooling ? PacketBuffers.Rent(length) : new byte[length];

    private static void Release(in Packet p)
    {
        if (p.Pooled)
        {
            PacketBuffers.Return(p.Bytes);
        }
    }
}
