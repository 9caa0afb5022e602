using FastTotem.Protocol.Srp;
using FastTotem.Transport;

namespace FastTotem.Benchmarks;

/// <summary>
/// SRP engines wired to each other in memory, driven the way <see cref="RingDriver"/> drives one engine minus the
/// sockets: each engine's datagrams go to a FIFO "wire" (a multicast reaches every other node, as the transport
/// does not loop our own multicasts back; a datagram a node addresses to itself goes straight back in), its events
/// go to its <see cref="IRingListener"/>, then the listener's OnIdle runs. Virtual time advances by a fixed LAN
/// latency per datagram and jumps to the earliest engine timeout when the wire is empty. Everything is
/// preallocated, so a steady-state run allocates nothing here; what a benchmark allocates is the engines' and
/// the listeners'.
/// </summary>
internal sealed class InMemoryRing
{
    private const int SlotSize = 2048;
    private const int PacketCapacity = 16 * 1024;

    private readonly byte[] _wire = new byte[PacketCapacity * SlotSize];
    private readonly int[] _length = new int[PacketCapacity];
    private readonly int[] _to = new int[PacketCapacity];
    private readonly byte[] _tx = new byte[SlotSize];
    private readonly uint[] _nodeIds;
    private int _head;
    private int _count;

    /// <summary>Creates the engines; set every entry of <see cref="Listeners"/> before <see cref="Start"/>.</summary>
    public InMemoryRing(uint[] nodeIds, int tokenMs = 1000)
    {
        _nodeIds = nodeIds;
        Listeners = new IRingListener[nodeIds.Length];
        Engines = new SrpEngine[nodeIds.Length];
        for (int i = 0; i < nodeIds.Length; i++)
        {
            Engines[i] = new SrpEngine(SrpConfig.CorosyncDefaults(nodeIds[i], nodeIds, tokenMs), new MemoryRingSeqStore());
        }
    }

    public SrpEngine[] Engines { get; }

    /// <summary>Each engine's listener (a NodeStack, or a counter when the engine is benchmarked alone).</summary>
    public IRingListener[] Listeners { get; }

    /// <summary>Virtual monotonic time in ns.</summary>
    public long Now { get; private set; }

    /// <summary>One-way wire latency per datagram (a LAN hop).</summary>
    public long LatencyNs { get; set; } = 10_000;

    /// <summary>Datagrams that did not fit the wire (a bench bug if ever non-zero).</summary>
    public long Drops { get; private set; }

    /// <summary>Datagrams handed to engines.</summary>
    public long Datagrams { get; private set; }

    public void Start()
    {
        for (int i = 0; i < Engines.Length; i++)
        {
            Engines[i].Start(Now);
            Pump(i);
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

    /// <summary>Delivers one datagram, or, with the wire empty, jumps to the earliest timeout and fires it.</summary>
    public void Step()
    {
        if (_count > 0)
        {
            Now += LatencyNs;
            int slot = _head;
            _head = (_head + 1) % PacketCapacity;
            _count--;
            int to = _to[slot];
            Datagrams++;
            Engines[to].HandleDatagram(_wire.AsSpan(slot * SlotSize, _length[slot]), Now);
            Pump(to);
        }
        else
        {
            long next = long.MaxValue;
            foreach (SrpEngine e in Engines)
            {
                next = Math.Min(next, e.PollTimeout());
            }

            if (next != long.MaxValue && next > Now)
            {
                Now = next;
            }
        }

        for (int i = 0; i < Engines.Length; i++)
        {
            if (Engines[i].PollTimeout() <= Now)
            {
                Engines[i].HandleTimeout(Now);
                Pump(i);
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

    /// <summary>Moves engine <paramref name="index"/>'s datagrams to the wire and its events to its listener.</summary>
    public void Pump(int index)
    {
        SrpEngine engine = Engines[index];
        IRingListener listener = Listeners[index];
        while (engine.PollTransmit(_tx, out TransmitInfo info))
        {
            if (info.Destination == 0)
            {
                for (int k = 0; k < _nodeIds.Length; k++)
                {
                    if (k != index)
                    {
                        Enqueue(k, info.Length);
                    }
                }
            }
            else
            {
                Enqueue(IndexOf(info.Destination), info.Length);
            }
        }

        while (engine.PollEvent(out SrpEvent ev))
        {
            listener.OnEvent(in ev);
        }

        listener.OnIdle(engine, Now);
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

    private void Enqueue(int to, int length)
    {
        if (to < 0 || _count == PacketCapacity)
        {
            Drops++;
            return;
        }

        int slot = (_head + _count) % PacketCapacity;
        _tx.AsSpan(0, length).CopyTo(_wire.AsSpan(slot * SlotSize));
        _length[slot] = length;
        _to[slot] = to;
        _count++;
    }
}
