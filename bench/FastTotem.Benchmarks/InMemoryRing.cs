using FastTotem.Protocol.Node;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;

namespace FastTotem.Benchmarks;

/// <summary>
/// Node machines wired to each other in memory, each driven by <see cref="NodeLoop.Step{TIo}"/>, the loop the epoll
/// driver runs, minus the sockets: a machine's datagrams go to a FIFO "wire" (a multicast reaches every other node,
/// as the transport does not loop our own multicasts back; a datagram a node addresses to itself travels the wire
/// like any other, as the kernel loops it), its events to its <see cref="INodeEventSink"/>. Virtual time advances by
/// a fixed LAN latency per datagram and jumps to the earliest timeout when the wire is empty. Everything is
/// preallocated, so a steady-state run allocates nothing here; what a benchmark allocates is the machines' and the
/// sinks'.
/// </summary>
internal sealed class InMemoryRing
{
    private const int SlotSize = 2048;
    private const int PacketCapacity = 16 * 1024;

    private readonly byte[] _wire = new byte[PacketCapacity * SlotSize];
    private readonly int[] _length = new int[PacketCapacity];
    private readonly int[] _to = new int[PacketCapacity];
    private readonly uint[] _nodeIds;
    private int _head;
    private int _count;

    /// <summary>Creates the machines (SRP-only, or with corosync's services); set every entry of <see cref="Sinks"/> before <see cref="Start"/>.</summary>
    public InMemoryRing(uint[] nodeIds, int tokenMs = 1000, bool services = false)
    {
        _nodeIds = nodeIds;
        Sinks = new INodeEventSink[nodeIds.Length];
        Machines = new NodeMachine[nodeIds.Length];
        Engines = new SrpEngine[nodeIds.Length];
        for (int i = 0; i < nodeIds.Length; i++)
        {
            Engines[i] = new SrpEngine(SrpConfig.CorosyncDefaults(nodeIds[i], nodeIds, tokenMs), new MemoryRingSeqStore());
            Machines[i] = services
                ? new NodeMachine(Engines[i], VotequorumConfig.FromNodelist(nodeIds[i], nodeIds, nodeIds.Select(_ => 1u).ToArray()))
                : new NodeMachine(Engines[i]);
        }
    }

    public NodeMachine[] Machines { get; }

    public SrpEngine[] Engines { get; }

    /// <summary>Each machine's event sink (a counter, or the benchmark's node).</summary>
    public INodeEventSink[] Sinks { get; }

    /// <summary>Virtual monotonic time in ns.</summary>
    public long Now { get; private set; }

    /// <summary>One-way wire latency per datagram (a LAN hop).</summary>
    public long LatencyNs { get; set; } = 10_000;

    /// <summary>Datagrams that did not fit the wire (a bench bug if ever non-zero).</summary>
    public long Drops { get; private set; }

    /// <summary>Datagrams handed to machines.</summary>
    public long Datagrams { get; private set; }

    public void Start()
    {
        for (int i = 0; i < Machines.Length; i++)
        {
            StepNode(i, -1, NodeLoop.Input.Start);
        }
    }

    /// <summary>True when every engine is operational on a ring of all nodes.</summary>
    public bool Formed()
    {
        foreach (SrpEngine e in Engines)
        {
            if (e.State != SrpState.Operational || e.Members.Length != Engines.Length)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Delivers one datagram, or, with the wire empty, jumps to the earliest timeout; then fires what is due.</summary>
    public void Step()
    {
        if (_count > 0)
        {
            Now += LatencyNs;
            int slot = _head;
            _head = (_head + 1) % PacketCapacity;
            _count--;
            Datagrams++;
            StepNode(_to[slot], slot, NodeLoop.Input.None);
        }
        else
        {
            long next = long.MaxValue;
            foreach (NodeMachine m in Machines)
            {
                next = Math.Min(next, m.PollTimeout());
            }

            if (next != long.MaxValue && next > Now)
            {
                Now = next;
            }
        }

        for (int i = 0; i < Machines.Length; i++)
        {
            if (Machines[i].PollTimeout() <= Now)
            {
                StepNode(i, -1, NodeLoop.Input.None);
            }
        }
    }

    /// <summary>Steps until <see cref="Formed"/>, or throws after <paramref name="maxSteps"/>.</summary>
    public void RunUntilFormed(int maxSteps = 1_000_000)
    {
        for (int i = 0; i < maxSteps; i++)
        {
            if (Formed())
            {
                return;
            }

            Step();
        }

        throw new InvalidOperationException("the in-memory ring did not form");
    }

    /// <summary>A step of node <paramref name="index"/> without a datagram: after a host command (a send), say.</summary>
    public void Pump(int index) => StepNode(index, -1, NodeLoop.Input.None);

    private void StepNode(int index, int slot, NodeLoop.Input input)
    {
        var io = new Io(this, index, slot);
        NodeLoop.Step(Machines[index], ref io, Now, input);
    }

    private readonly struct Io(InMemoryRing ring, int index, int slot) : INodeIo
    {
        public int ReceivedCount => slot < 0 ? 0 : 1;

        public ReadOnlySpan<byte> Received(int i) => ring._wire.AsSpan(slot * SlotSize, ring._length[slot]);

        public NodeSource ReceivedSource(int i) => NodeSource.Unknown;

        public void Transmit(ReadOnlySpan<byte> datagram, uint destination)
        {
            if (destination == 0)
            {
                for (int k = 0; k < ring._nodeIds.Length; k++)
                {
                    if (k != index)
                    {
                        ring.Enqueue(k, datagram);
                    }
                }
            }
            else
            {
                ring.Enqueue(ring.IndexOf(destination), datagram);
            }
        }

        public void Flush()
        {
        }

        public void OnEvent(in NodeEvent ev) => ring.Sinks[index]?.OnEvent(in ev);

        public void OnFault(Exception exception) => throw new InvalidOperationException($"bench node {index + 1} faulted", exception);
    }

    private int IndexOf(uint nodeId)
    {
        for (int i = 0; i < _nodeIds.Length; i++)
        {
            if (_nodeIds[i] == nodeId)
            {
                return i;
            }
        }

        return -1;
    }

    private void Enqueue(int to, ReadOnlySpan<byte> datagram)
    {
        if (to < 0 || _count == PacketCapacity || datagram.Length > SlotSize)
        {
            Drops++;
            return;
        }

        int slot = (_head + _count) % PacketCapacity;
        datagram.CopyTo(_wire.AsSpan(slot * SlotSize));
        _length[slot] = datagram.Length;
        _to[slot] = to;
        _count++;
    }
}
