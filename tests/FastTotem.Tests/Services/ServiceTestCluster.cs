using FastTotem.Protocol.Services;
using FastTotem.Tests.Srp;
using FastTotem.Wire;

namespace FastTotem.Tests.Services;

/// <summary>
/// Nodes that each own an <see cref="ExecOutbox"/> and a set of services, over a real total order: a message drained
/// from a node's outbox goes through totempg and a ring of node machines (<see cref="RingWire"/>, driven through
/// NodeLoop.Step) and is delivered to every node of the given configuration, sender included, in the agreed order.
/// Sync rounds follow sync.c: everyone inits, everyone processes, then deliveries, then activate.
/// </summary>
internal sealed class ServiceTestCluster
{
    public sealed class Node
    {
        public Node(uint nodeId, ExecOutbox outbox, ISyncParticipant[] services, IExecHandler?[] handlers)
        {
            NodeId = nodeId;
            Outbox = outbox;
            Services = services;
            Handlers = handlers;
        }

        public uint NodeId { get; }

        public ExecOutbox Outbox { get; }

        /// <summary>Sync participants in service-id order.</summary>
        public ISyncParticipant[] Services { get; }

        /// <summary>Exec handlers indexed by service id (null: none).</summary>
        public IExecHandler?[] Handlers { get; }

        /// <summary>Everything this node multicast, in order, with the sync round it belongs to ("start" outside sync).</summary>
        public List<(string Round, byte[] Message)> Sent { get; } = new();
    }

    private RingWire? _wire;

    public Dictionary<uint, Node> Nodes { get; } = new();

    public void Add(Node node) => Nodes.Add(node.NodeId, node);

    /// <summary>Drains <paramref name="sender"/>'s outbox and delivers every message to <paramref name="ring"/>.</summary>
    public void Flush(uint sender, ReadOnlySpan<uint> ring, string round)
    {
        // The ring is made at the first flush, with a node for every id the test has added so far (at least 3).
        _wire ??= new RingWire(Math.Max(3, (int)Nodes.Keys.Max()));
        Assert.True(sender <= _wire.NodeCount, $"node {sender} was added after the ring of {_wire.NodeCount} formed");
        Node node = Nodes[sender];
        while (node.Outbox.TryPeek(out ReadOnlySpan<byte> message))
        {
            byte[] copy = message.ToArray();
            node.Outbox.Dequeue();
            node.Sent.Add((round, copy));
            _wire.Send(sender, copy);
        }

        _wire.Settle();
        while (_wire.TryTakeNext(out uint from, out byte[] delivered))
        {
            int service = (int)((uint)BitConverter.ToInt32(delivered, 0) >> 16);
            foreach (uint member in ring)
            {
                Nodes[member].Handlers[service]?.HandleExec(from, delivered, false);
            }
        }
    }

    /// <summary>
    /// One complete sync round on <paramref name="members"/>: for each service in turn every node processes (and its
    /// messages are sent in member order), then every node activates, as the barriers make it happen.
    /// </summary>
    public void Sync(uint[] members, uint[] transitional, MembRingId ringId) => Sync(members, _ => transitional, ringId);

    /// <summary>As above, with each node's own transitional list (after a merge each side saw only itself).</summary>
    public void Sync(uint[] members, Func<uint, uint[]> transitional, MembRingId ringId)
    {
        foreach (uint m in members)
        {
            foreach (ISyncParticipant s in Nodes[m].Services)
            {
                s.SyncInit(Intersect(transitional(m), members), members, ringId);
            }
        }

        int serviceCount = Nodes[members[0]].Services.Length;
        for (int k = 0; k < serviceCount; k++)
        {
            // Every node processes at the same point of the total order (the previous round's last barrier),
            // so all of them build their messages before any of this round's messages is delivered.
            var done = new bool[members.Length];
            for (int round = 0; Array.IndexOf(done, false) >= 0; round++)
            {
                Assert.True(round < 10, "SyncProcess never completed");
                for (int i = 0; i < members.Length; i++)
                {
                    done[i] = done[i] || Nodes[members[i]].Services[k].SyncProcess();
                }

                foreach (uint m in members)
                {
                    Flush(m, members, "service " + Nodes[m].Services[k].ServiceId);
                }
            }

            foreach (uint m in members)
            {
                Nodes[m].Services[k].SyncActivate();
            }
        }
    }

    private static uint[] Intersect(uint[] a, uint[] b) => Array.FindAll(a, x => Array.IndexOf(b, x) >= 0);
}
