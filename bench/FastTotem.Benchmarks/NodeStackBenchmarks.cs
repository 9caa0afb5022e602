using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Transport;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>
/// The whole node as the live daemon runs it (a <see cref="NodeMachine"/> with services: SRP engine + totempg + sync +
/// cmap/quorum/votequorum) on three nodes wired in memory (<see cref="InMemoryRing"/>, the production loop minus sockets).
/// Node 1 sends 64-byte messages on a totempg group "bench" that all three have joined; totempg packs them into
/// shared SRP messages. One operation = one message delivered to the group handler on all three nodes.
/// </summary>
[MemoryDiagnoser]
public class NodeStackBenchmarks
{
    private const int Nodes = 3;
    internal const int MessagesPerInvoke = 20_000;
    private const int SendQueueTarget = 100;
    private const int MaxSetupSteps = 2_000_000;

    private static readonly PgGroupSet Group = new("bench"u8);

    private readonly uint[] _ids = [1, 2, 3];
    private readonly Node[] _nodes = new Node[Nodes];
    private readonly byte[] _payload = new byte[64];
    private InMemoryRing _ring = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ring = new InMemoryRing(_ids, services: true);
        for (int i = 0; i < Nodes; i++)
        {
            _nodes[i] = new Node();
            _ring.Machines[i].JoinGroup("bench"u8, _nodes[i]);
            _ring.Sinks[i] = _nodes[i];
        }

        _ring.Start();
        for (int step = 0; step < MaxSetupSteps && !Ready(); step++)
        {
            _ring.Step();
        }

        if (!Ready())
        {
            throw new InvalidOperationException("the three node stacks did not form a ring and finish sync");
        }

        Run(MessagesPerInvoke);
        if (_ring.Drops != 0 || !Ready())
        {
            throw new InvalidOperationException($"bench ring unhealthy: {_ring.Drops} wire drops");
        }
    }

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public void SendOnGroupDeliverEverywhere() => Run(MessagesPerInvoke);

    /// <summary>Operational on one 3-node ring, and sync finished on that ring at every node.</summary>
    private bool Ready()
    {
        if (!_ring.Formed())
        {
            return false;
        }

        for (int i = 0; i < Nodes; i++)
        {
            if (!_nodes[i].Synced || _nodes[i].SyncedRing != _ring.Engines[i].RingId)
            {
                return false;
            }
        }

        return true;
    }

    private void Run(int messages)
    {
        long target = _nodes[0].Delivered + messages;
        int sent = 0;
        NodeMachine sender = _ring.Machines[0];
        while (sent < messages || !AllReached(target))
        {
            while (sent < messages && sender.Engine.SendQueueCount < SendQueueTarget
                && sender.TrySend(Group, _payload) == SendResult.Ok)
            {
                sent++;
            }

            for (int k = 0; k < 32; k++)
            {
                _ring.Step();
            }
        }
    }

    private bool AllReached(long target)
    {
        foreach (Node n in _nodes)
        {
            if (n.Delivered < target)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Node : INodeEventSink, IPgGroupHandler
    {
        public long Delivered;
        public bool Synced;
        public MembRingId SyncedRing;

        public void OnEvent(in NodeEvent ev)
        {
            if (ev.Kind == NodeEventKind.ConfigChange && ev.ConfigKind == Protocol.Srp.ConfigChangeKind.Regular)
            {
                Synced = false;
            }
            else if (ev.Kind == NodeEventKind.SyncComplete)
            {
                Synced = true;
                SyncedRing = ev.RingId;
            }
        }

        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Delivered++;
    }
}
