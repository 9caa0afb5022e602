using FastTotem.Protocol.Node;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;

namespace FastTotem.Tests.Srp;

/// <summary>
/// A minimal deterministic network for node machines (SRP-only by default, or with corosync's services), each driven
/// through <see cref="NodeLoop.Step{TIo}"/> as production drives it: N machines (nodeids 1..N), a virtual clock, a fixed one-way
/// latency, FIFO delivery from a preallocated packet ring, and hooks to drop packets, stop nodes and record what
/// goes on the wire. Steady-state operation allocates nothing (the zero-allocation test relies on it).
/// </summary>
internal sealed class RingHarness
{
    /// <summary>Bytes per packet in flight: 2 KiB, or the engines' netmtu when it is larger.</summary>
    public readonly int SlotSize = 2048;
    private const int PacketCapacity = 4096;

    private readonly byte[][] _packets = new byte[PacketCapacity][];
    private readonly int[] _length = new int[PacketCapacity];
    private readonly int[] _from = new int[PacketCapacity];
    private readonly int[] _to = new int[PacketCapacity];
    private readonly long[] _at = new long[PacketCapacity];
    private int _head;
    private int _count;

    // A forged datagram handed to one node (Inject) travels through the step like any other, from this slot.
    private const int InjectSlot = -2;
    private byte[] _injected = [];
    private uint _injectedFrom;
    public readonly NodeMachine[] Machines;
    public readonly SrpEngine[] Engines;
    public readonly MemoryRingSeqStore[] Stores;
    public readonly bool[] Running;
    public readonly uint[] NodeList;
    public long Now;
    public long LatencyNs = 50_000;

    /// <summary>Return true to drop the datagram (from and to are nodeids).</summary>
    public Func<uint, uint, ReadOnlyMemory<byte>, bool>? DropFilter { get; set; }

    /// <summary>Rewrites a datagram before it goes on the wire (from, bytes) — e.g. into its big-endian twin.</summary>
    public Func<uint, byte[], byte[]>? Transform { get; set; }

    /// <summary>Receives each delivery (node index, event). Must not keep the spans.</summary>
    public DeliveryHandler? OnDeliver { get; set; }

    public delegate void DeliveryHandler(int nodeIndex, in NodeEvent ev);

    /// <summary>When set, every datagram put on the wire (from, to, bytes) is recorded; to = 0 means all.</summary>
    public List<(long At, uint From, uint To, byte[] Bytes)>? Wire;

    public readonly List<(int Node, ConfigChangeKind Kind, string RingId, uint[] Members, uint[] Left, uint[] Joined)> ConfigChanges = [];

    /// <summary>Every GATHER entry, by node and reason.</summary>
    public readonly List<(int Node, GatherReason Reason)> Gathers = [];

    /// <summary>Delivered (sender, payload) per node, when recording deliveries.</summary>
    public readonly List<(uint Sender, byte[] Payload)>[] Delivered;

    public bool RecordDeliveries = true;
    public readonly int[] ForeignDeliveries;
    public long PacketDrops;

    /// <param name="servicesMachine">Builds a machine with services (sized differently from a daemon's, say); null for the default.</param>
    public RingHarness(int nodeCount, Func<uint, uint[], SrpConfig>? configure = null, int tokenMs = 1000, bool services = false,
        Func<SrpEngine, VotequorumConfig, NodeMachine>? servicesMachine = null)
    {
        NodeList = new uint[nodeCount];
        for (int i = 0; i < nodeCount; i++)
        {
            NodeList[i] = (uint)(i + 1);
        }

        Engines = new SrpEngine[nodeCount];
        Machines = new NodeMachine[nodeCount];
        Stores = new MemoryRingSeqStore[nodeCount];
        Running = new bool[nodeCount];
        Delivered = new List<(uint, byte[])>[nodeCount];
        ForeignDeliveries = new int[nodeCount];
        for (int i = 0; i < nodeCount; i++)
        {
            SrpConfig config = configure?.Invoke(NodeList[i], NodeList)
                ?? SrpConfig.CorosyncDefaults(NodeList[i], NodeList, tokenMs);
            Stores[i] = new MemoryRingSeqStore();
            Engines[i] = new SrpEngine(config, Stores[i]);
            VotequorumConfig? quorum = services ? VotequorumConfig.FromNodelist(NodeList[i], NodeList, NodeList.Select(_ => 1u).ToArray()) : null;
            Machines[i] = quorum == null ? new NodeMachine(Engines[i])
                : servicesMachine != null ? servicesMachine(Engines[i], quorum)
                : new NodeMachine(Engines[i], quorum);
            Delivered[i] = [];
            SlotSize = Math.Max(SlotSize, config.NetMtu);
        }

        for (int i = 0; i < PacketCapacity; i++)
        {
            _packets[i] = new byte[SlotSize];
        }
    }

    public void Start(int index)
    {
        Running[index] = true;
        Step(index, -1, NodeLoop.Input.Start);
    }

    /// <summary>Replaces a crashed node by a fresh engine (an SRP-only machine around it) and starts it.</summary>
    public void Restart(int index, SrpEngine engine)
    {
        Engines[index] = engine;
        Machines[index] = new NodeMachine(engine);
        Start(index);
    }

    public void StartAll()
    {
        for (int i = 0; i < Engines.Length; i++)
        {
            Start(i);
        }
    }

    /// <summary>The node stops receiving and sending, as if killed.</summary>
    public void Crash(int index) => Running[index] = false;

    public void Leave(int index)
    {
        Step(index, -1, NodeLoop.Input.Leave);
        Running[index] = false;
    }

    public SendResult Multicast(int index, ReadOnlySpan<byte> payload)
    {
        SendResult result = Machines[index].TryMulticast(payload);
        Drain(index);
        return result;
    }

    /// <summary>One loop step of a node without datagrams: its due timers, its host commands, and the drain.</summary>
    public void Drain(int index) => Step(index, -1, NodeLoop.Input.None);

    private void Step(int index, int packetSlot, NodeLoop.Input input)
    {
        var io = new Io(this, index, packetSlot);
        NodeLoop.Step(Machines[index], ref io, Now, input);
    }

    /// <summary>The harness's side of the step: at most one datagram in, the wire out, events to the recorders.</summary>
    private readonly struct Io(RingHarness harness, int index, int packetSlot) : INodeIo
    {
        public int ReceivedCount => packetSlot == InjectSlot || packetSlot >= 0 ? 1 : 0;

        public ReadOnlySpan<byte> Received(int i) =>
            packetSlot == InjectSlot ? harness._injected : harness._packets[packetSlot].AsSpan(0, harness._length[packetSlot]);

        public NodeSource ReceivedSource(int i) => new(packetSlot == InjectSlot ? harness._injectedFrom : (uint)harness._from[packetSlot]);

        public void Transmit(ReadOnlySpan<byte> datagram, uint destination) => harness.Transmit(index, datagram, destination);

        public void Flush()
        {
        }

        public void OnEvent(in NodeEvent ev) => harness.Record(index, in ev);

        public void OnFault(Exception exception) => throw new InvalidOperationException($"node {index + 1} faulted", exception);
    }

    private void Transmit(int index, ReadOnlySpan<byte> datagram, uint destination)
    {
        if (!Running[index])
        {
            return;
        }

        uint from = NodeList[index];
        if (Wire is not null)
        {
            Wire.Add((Now, from, destination, datagram.ToArray()));
        }

        if (destination == 0)
        {
            for (int k = 0; k < NodeList.Length; k++)
            {
                Enqueue(from, NodeList[k], datagram);
            }
        }
        else
        {
            Enqueue(from, destination, datagram);
        }
    }

    private void Record(int index, in NodeEvent ev)
    {
        if (ev.Kind == NodeEventKind.GatherEntered)
        {
            Gathers.Add((index, ev.GatherReason));
            return;
        }

        OnDeliver?.Invoke(index, ev);
        if (ev.Kind == NodeEventKind.ConfigChange)
        {
            ConfigChanges.Add((index, ev.ConfigKind, ev.RingId.ToString(), ev.Members.ToArray(), ev.Left.ToArray(), ev.Joined.ToArray()));
        }
        else if (ev.Kind == NodeEventKind.Deliver && RecordDeliveries)
        {
            if (ev.ForeignEndian)
            {
                ForeignDeliveries[index]++;
            }

            Delivered[index].Add((ev.SenderNodeId, ev.Payload.ToArray()));
        }
    }

    private void Enqueue(uint from, uint to, ReadOnlySpan<byte> datagram)
    {
        int length = datagram.Length;
        if (DropFilter is not null && DropFilter(from, to, datagram.ToArray()))
        {
            PacketDrops++;
            return;
        }

        if (_count == PacketCapacity || length > SlotSize)
        {
            PacketDrops++;
            return;
        }

        int slot = (_head + _count) % PacketCapacity;
        if (Transform is not null)
        {
            byte[] rewritten = Transform(from, datagram.ToArray());
            rewritten.CopyTo(_packets[slot], 0);
            length = rewritten.Length;
        }
        else
        {
            datagram.CopyTo(_packets[slot]);
        }

        _length[slot] = length;
        _from[slot] = (int)from;
        _to[slot] = (int)to;
        _at[slot] = Now + LatencyNs;
        _count++;
    }

    /// <summary>Hands a forged datagram to node <paramref name="index"/> as if <paramref name="transmitter"/> sent it,
    /// in one loop step of that node (so its events are drained and recorded like any other's).</summary>
    public void Inject(int index, ReadOnlySpan<byte> datagram, uint transmitter)
    {
        _injected = datagram.ToArray();
        _injectedFrom = transmitter;
        Step(index, InjectSlot, NodeLoop.Input.None);
    }

    /// <summary>Runs the network and the timers until <paramref name="untilNs"/>.</summary>
    public void RunUntil(long untilNs)
    {
        while (true)
        {
            long next = long.MaxValue;
            if (_count > 0)
            {
                next = _at[_head];
            }

            for (int i = 0; i < Engines.Length; i++)
            {
                if (Running[i])
                {
                    next = Math.Min(next, Machines[i].PollTimeout());
                }
            }

            if (next > untilNs)
            {
                Now = untilNs;
                return;
            }

            Now = Math.Max(Now, next);
            if (_count > 0 && _at[_head] <= Now)
            {
                int slot = _head;
                _head = (_head + 1) % PacketCapacity;
                _count--;
                int to = _to[slot] - 1;
                if (to >= 0 && to < Engines.Length && Running[to])
                {
                    Step(to, slot, NodeLoop.Input.None);
                }

                continue;
            }

            for (int i = 0; i < Engines.Length; i++)
            {
                if (Running[i] && Machines[i].PollTimeout() <= Now)
                {
                    Drain(i);
                }
            }
        }
    }

    public void RunFor(long durationNs) => RunUntil(Now + durationNs);

    public static long Ms(double ms) => (long)(ms * 1_000_000);

    public bool AllOperationalWith(params int[] indices)
    {
        foreach (int i in indices)
        {
            if (Engines[i].State != SrpState.Operational || Engines[i].Members.Length != indices.Length)
            {
                return false;
            }
        }

        return true;
    }
}
