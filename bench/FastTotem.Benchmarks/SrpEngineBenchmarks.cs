using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Srp;

namespace FastTotem.Benchmarks;

/// <summary>
/// The SRP engine on a simulated 3-node ring in one process: 64-byte messages multicast by all three nodes, ordered
/// and delivered at all three. One operation = one message delivered everywhere (the figure to compare is
/// messages per second = 1 / mean, and allocated bytes per message).
/// </summary>
[MemoryDiagnoser]
public class SrpEngineBenchmarks
{
    private const int Nodes = 3;
    private const int MessagesPerInvoke = 30_000;
    private const int SlotSize = 2048;
    private const int PacketCapacity = 8192;

    private readonly byte[] _payload = new byte[64];
    private readonly byte[][] _packets = new byte[PacketCapacity][];
    private readonly int[] _length = new int[PacketCapacity];
    private readonly int[] _to = new int[PacketCapacity];
    private readonly byte[] _tx = new byte[16 * 1024];
    private SrpEngine[] _engines = null!;
    private int _head;
    private int _count;
    private long _now;
    private long _delivered;

    [GlobalSetup]
    public void Setup()
    {
        uint[] nodes = [1, 2, 3];
        _engines = new SrpEngine[Nodes];
        for (int i = 0; i < PacketCapacity; i++)
        {
            _packets[i] = new byte[SlotSize];
        }

        for (int i = 0; i < Nodes; i++)
        {
            _engines[i] = new SrpEngine(SrpConfig.CorosyncDefaults(nodes[i], nodes, 1000), new MemoryRingSeqStore());
            _engines[i].Start(_now);
            Drain(i);
        }

        for (int step = 0; step < 10_000_000 && !Formed(); step++)
        {
            Step();
        }

        if (!Formed())
        {
            throw new InvalidOperationException("ring did not form");
        }

        Run(MessagesPerInvoke);
    }

    private bool Formed()
    {
        foreach (SrpEngine e in _engines)
        {
            if (e.State != SrpState.Operational || e.Members.Length != Nodes)
            {
                return false;
            }
        }

        return true;
    }

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public void OrderAndDeliver64ByteMessages() => Run(MessagesPerInvoke);

    private void Run(int messages)
    {
        // Every delivery is counted at each of the three nodes.
        long target = _delivered + (long)messages * Nodes;
        int sent = 0;
        while (_delivered < target)
        {
            for (int n = 0; n < Nodes && sent < messages; n++)
            {
                while (sent < messages && _engines[n].SendQueueCount < 100)
                {
                    _engines[n].TryMulticast(_payload);
                    sent++;
                }
            }

            for (int k = 0; k < 64; k++)
            {
                Step();
            }
        }
    }

    private void Step()
    {
        _now += 5_000;
        if (_count > 0)
        {
            int slot = _head;
            _head = (_head + 1) % PacketCapacity;
            _count--;
            int to = _to[slot];
            _engines[to].HandleDatagram(_packets[slot].AsSpan(0, _length[slot]), _now);
            Drain(to);
        }

        for (int i = 0; i < Nodes; i++)
        {
            if (_engines[i].PollTimeout() <= _now)
            {
                _engines[i].HandleTimeout(_now);
                Drain(i);
            }
        }
    }

    private void Drain(int index)
    {
        SrpEngine engine = _engines[index];
        while (engine.PollTransmit(_tx, out TransmitInfo info))
        {
            if (info.Destination == 0)
            {
                for (int k = 0; k < Nodes; k++)
                {
                    if (k != index)
                    {
                        Enqueue(k, info.Length);
                    }
                }
            }
            else
            {
                Enqueue((int)info.Destination - 1, info.Length);
            }
        }

        while (engine.PollEvent(out SrpEvent ev))
        {
            if (ev.Kind == SrpEventKind.Deliver)
            {
                _delivered++;
            }
        }
    }

    private void Enqueue(int to, int length)
    {
        if (_count == PacketCapacity)
        {
            return;
        }

        int slot = (_head + _count) % PacketCapacity;
        _tx.AsSpan(0, length).CopyTo(_packets[slot]);
        _length[slot] = length;
        _to[slot] = to;
        _count++;
    }
}
