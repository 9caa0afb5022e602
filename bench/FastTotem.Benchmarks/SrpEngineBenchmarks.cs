using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;

namespace FastTotem.Benchmarks;

/// <summary>
/// The SRP engine alone (an SRP-only node machine) on a simulated 3-node ring (<see cref="InMemoryRing"/>), steady state operational:
/// messages multicast by one node or by all three, ordered and delivered at all three. One operation = one
/// message delivered on every node, so Mean reads as ns/message (msgs/s = 1e9 / Mean) and Allocated as
/// bytes/message. The time covers all three engines (one thread runs the whole ring), not one node's share.
/// </summary>
[MemoryDiagnoser]
public class SrpEngineBenchmarks
{
    private const int Nodes = 3;
    internal const int MessagesPerInvoke = 20_000;
    private const int SendQueueTarget = 100;

    private readonly CountingListener[] _listeners = new CountingListener[Nodes];
    private byte[] _payload = [];
    private InMemoryRing _ring = null!;

    [Params(64, 1024)]
    public int Size { get; set; }

    /// <summary>1: node 1 multicasts everything; 3: all nodes multicast in turn.</summary>
    [Params(1, 3)]
    public int Senders { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        for (int i = 0; i < Nodes; i++)
        {
            _listeners[i] = new CountingListener();
        }

        _ring = new InMemoryRing([1, 2, 3]);
        _listeners.CopyTo(_ring.Sinks, 0);
        _ring.Start();
        _ring.RunUntilFormed();
        Run(MessagesPerInvoke);
        if (_ring.Drops != 0 || !_ring.Formed())
        {
            throw new InvalidOperationException($"bench ring unhealthy: {_ring.Drops} wire drops");
        }
    }

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public void OrderAndDeliver() => Run(MessagesPerInvoke);

    private void Run(int messages)
    {
        long target = _listeners[0].Delivered + messages;
        int sent = 0;
        int turn = 0;
        while (sent < messages || !AllReached(target))
        {
            // Keep the senders' queues topped up, so every token visit has a full window to send.
            for (int n = 0; n < Senders && sent < messages; n++)
            {
                NodeMachine machine = _ring.Machines[(turn + n) % Senders];
                while (sent < messages && machine.Engine.SendQueueCount < SendQueueTarget)
                {
                    machine.TryMulticast(_payload);
                    sent++;
                }
            }

            turn++;
            for (int k = 0; k < 32; k++)
            {
                _ring.Step();
            }
        }
    }

    private bool AllReached(long target)
    {
        foreach (CountingListener l in _listeners)
        {
            if (l.Delivered < target)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class CountingListener : INodeEventSink
    {
        public long Delivered;

        public void OnEvent(in NodeEvent ev)
        {
            if (ev.Kind == NodeEventKind.Deliver)
            {
                Delivered++;
            }
        }
    }
}
