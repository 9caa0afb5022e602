using BenchmarkDotNet.Attributes;
using FastTotem.Hosting;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>
/// The whole node as the live daemon runs it (<see cref="NodeStack"/>: SRP engine + totempg + sync + cmap/quorum/
/// votequorum) on three nodes wired in memory (<see cref="InMemoryRing"/>, the RingDriver loop minus sockets).
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
    private readonly NodeStack[] _stacks = new NodeStack[Nodes];
    private readonly byte[] _payload = new byte[64];
    private InMemoryRing _ring = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ring = new InMemoryRing(_ids);
        for (int i = 0; i < Nodes; i++)
        {
            _nodes[i] = new Node();
            _stacks[i] = new NodeStack(_ring.Engines[i], VotequorumConfig.FromNodelist(_ids[i], _ids, [1, 1, 1]), _nodes[i]);
            _stacks[i].JoinGroup("bench"u8, _nodes[i]);
            _ring.Listeners[i] = _stacks[i];
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
        SrpEngine engine = _ring.Engines[0];
        NodeStack sender = _stacks[0];
        while (sent < messages || !AllReached(target))
        {
            while (sent < messages && engine.SendQueueCount < SendQueueTarget
                && sender.TrySend(Group, _payload) == PgSendResult.Queued)
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

    private sealed class Node : INodeListener, IPgGroupHandler
    {
        public long Delivered;
        public bool Synced;
        public MembRingId SyncedRing;

        public void OnConfigChange(in SrpEvent ev)
        {
            if (ev.ConfigKind == ConfigChangeKind.Regular)
            {
                Synced = false;
            }
        }

        public void OnSyncComplete(MembRingId ringId)
        {
            Synced = true;
            SyncedRing = ringId;
        }

        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Delivered++;
    }
}
