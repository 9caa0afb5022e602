using FastTotem.Protocol.Srp;

namespace FastTotem.Tests.Srp;

/// <summary>
/// A minimal deterministic network for SRP engines: N engines (nodeids 1..N), a virtual clock, a fixed one-way
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
    private readonly byte[] _txBuffer;

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

    public delegate void DeliveryHandler(int nodeIndex, in SrpEvent ev);

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

    public RingHarness(int nodeCount, Func<uint, uint[], SrpConfig>? configure = null, int tokenMs = 1000)
    {
        NodeList = new uint[nodeCount];
        for (int i = 0; i < nodeCount; i++)
        {
            NodeList[i] = (uint)(i + 1);
        }

        Engines = new SrpEngine[nodeCount];
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
            Delivered[i] = [];
            SlotSize = Math.Max(SlotSize, config.NetMtu);
        }

        int transmitMax = 0;
        foreach (SrpEngine engine in Engines)
        {
            transmitMax = Math.Max(transmitMax, engine.TransmitBufferSize);
        }

        _txBuffer = new byte[transmitMax];

        for (int i = 0; i < PacketCapacity; i++)
        {
            _packets[i] = new byte[SlotSize];
        }
    }

    public void Start(int index)
    {
        Running[index] = true;
        Engines[index].Start(Now);
        Drain(index);
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
        Engines[index].Leave(Now);
        Drain(index);
        Running[index] = false;
    }

    public MulticastResult Multicast(int index, ReadOnlySpan<byte> payload)
    {
        MulticastResult result = Engines[index].TryMulticast(payload);
        Drain(index);
        return result;
    }

    /// <summary>Moves an engine's outputs to the network and its events to the recorders.</summary>
    public void Drain(int index)
    {
        SrpEngine engine = Engines[index];
        uint from = NodeList[index];
        while (engine.PollTransmit(_txBuffer, out TransmitInfo info))
        {
            if (!Running[index])
            {
                continue;
            }

            if (Wire is not null)
            {
                Wire.Add((Now, from, info.Destination, _txBuffer.AsSpan(0, info.Length).ToArray()));
            }

            if (info.Destination == 0)
            {
                for (int k = 0; k < NodeList.Length; k++)
                {
                    Enqueue(from, NodeList[k], info.Length);
                }
            }
            else
            {
                Enqueue(from, info.Destination, info.Length);
            }
        }

        while (engine.PollEvent(out SrpEvent ev))
        {
            if (ev.Kind == SrpEventKind.GatherEntered)
            {
                Gathers.Add((index, ev.GatherReason));
                continue;
            }

            OnDeliver?.Invoke(index, ev);
            if (ev.Kind == SrpEventKind.ConfigChange)
            {
                ConfigChanges.Add((index, ev.ConfigKind, ev.RingId.ToString(), ev.Members.ToArray(), ev.Left.ToArray(), ev.Joined.ToArray()));
            }
            else if (RecordDeliveries)
            {
                if (ev.ForeignEndian)
                {
                    ForeignDeliveries[index]++;
                }

                Delivered[index].Add((ev.SenderNodeId, ev.Payload.ToArray()));
            }
        }
    }

    private void Enqueue(uint from, uint to, int length)
    {
        if (DropFilter is not null && DropFilter(from, to, _txBuffer.AsMemory(0, length)))
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
            byte[] rewritten = Transform(from, _txBuffer.AsSpan(0, length).ToArray());
            rewritten.CopyTo(_packets[slot], 0);
            length = rewritten.Length;
        }
        else
        {
            _txBuffer.AsSpan(0, length).CopyTo(_packets[slot]);
        }

        _length[slot] = length;
        _from[slot] = (int)from;
        _to[slot] = (int)to;
        _at[slot] = Now + LatencyNs;
        _count++;
    }

    /// <summary>Hands a forged datagram to node <paramref name="index"/> as if <paramref name="transmitter"/> sent it,
    /// then drains that node.</summary>
    public void Inject(int index, ReadOnlySpan<byte> datagram, uint transmitter)
    {
        Engines[index].HandleDatagram(datagram, transmitter, Now);
        Drain(index);
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
                    next = Math.Min(next, Engines[i].PollTimeout());
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
                    Engines[to].HandleDatagram(_packets[slot].AsSpan(0, _length[slot]), (uint)_from[slot], Now);
                    Drain(to);
                }

                continue;
            }

            for (int i = 0; i < Engines.Length; i++)
            {
                if (Running[i] && Engines[i].PollTimeout() <= Now)
                {
                    Engines[i].HandleTimeout(Now);
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
