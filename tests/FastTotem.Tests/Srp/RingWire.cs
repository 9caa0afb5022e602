using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

/// <summary>
/// A real total order for tests of the layers above SRP (sync v2, the services): nodes 1..N are node machines on a
/// <see cref="RingHarness"/> (so every datagram goes through <see cref="NodeLoop.Step{TIo}"/>), and a message a test
/// sends goes through that node's totempg packer (fragmented when large), the SRP ring, and every node's totempg
/// assembler, into a per-node inbox. Nothing moves messages between nodes by hand.
/// </summary>
internal sealed class RingWire
{
    private static readonly PgGroupSet Bus = new("bus"u8);

    private readonly RingHarness _ring;
    private readonly PgPacker[] _packers;
    private readonly PgAssembler[] _assemblers;
    private readonly PgGroups[] _groups;
    private readonly Queue<(uint Sender, byte[] Message)>[] _inboxes;
    private long _sent;
    private long _taken;

    public RingWire(int nodeCount)
    {
        _ring = new RingHarness(nodeCount)
        {
            RecordDeliveries = false,
            // Half a millisecond a hop: the order is what these tests need, and a slower token costs fewer steps.
            LatencyNs = 500_000,
        };
        _packers = new PgPacker[nodeCount];
        _assemblers = new PgAssembler[nodeCount];
        _groups = new PgGroups[nodeCount];
        _inboxes = new Queue<(uint, byte[])>[nodeCount];
        for (int i = 0; i < nodeCount; i++)
        {
            // Room for a 1 MiB CPG piece in fragments (the default queue of 2,974 payloads costs 4 MiB a node).
            _packers[i] = new PgPacker(_ring.Engines[i].MaxPayload, queueCapacity: 1024);
            // The SRP-only machine's engine pulls this packer on every token visit; the transitional lane is never held.
            _ring.Machines[i].HostPacker = _packers[i];
            _ring.Machines[i].HostPackerLane = SendLane.Transitional;
            _assemblers[i] = new PgAssembler(nodeCount);
            _groups[i] = new PgGroups();
            _inboxes[i] = new Queue<(uint, byte[])>();
            int node = i;
            _groups[i].Join(_groups[i].AddInstance(new Inbox(_inboxes[node])), "bus"u8);
        }

        _ring.OnDeliver = (int index, in NodeEvent ev) =>
        {
            if (ev.Kind == NodeEventKind.Deliver)
            {
                _assemblers[index].HandlePacket(ev.SenderNodeId, ev.Payload, ev.ForeignEndian, _groups[index]);
            }
        };
        _ring.StartAll();
        int[] all = Enumerable.Range(0, nodeCount).ToArray();
        long deadline = _ring.Now + Ms(20_000);
        while (!_ring.AllOperationalWith(all))
        {
            Assert.True(_ring.Now < deadline, "the wire's ring never formed");
            _ring.RunFor(Ms(10));
        }
    }

    public int NodeCount => _packers.Length;

    /// <summary>Multicasts <paramref name="message"/> from node <paramref name="sender"/> (1..N) in the ring's agreed order.</summary>
    public void Send(uint sender, ReadOnlySpan<byte> message)
    {
        int index = (int)sender - 1;
        Assert.InRange(index, 0, NodeCount - 1);
        long deadline = _ring.Now + Ms(10_000);
        while (_packers[index].TrySend(Bus, message) != SendResult.Ok)
        {
            Assert.True(_ring.Now < deadline, $"node {sender}'s totempg queue never took a {message.Length} B message");
            _ring.RunFor(Ms(1));
        }

        _ring.Engines[index].SignalNewMessage();
        _ring.Drain(index);
        _sent++;
    }

    /// <summary>Runs the ring until every node received everything sent so far.</summary>
    public void Settle()
    {
        long deadline = _ring.Now + Ms(20_000);
        while (!AllReceived())
        {
            Assert.True(_ring.Now < deadline, $"the ring did not deliver {_sent} messages to every node");
            _ring.RunFor(Ms(1));
        }
    }

    /// <summary>
    /// The next message of the agreed order (after <see cref="Settle"/>), taken from every node's inbox at once; every
    /// node must have received the very same one.
    /// </summary>
    public bool TryTakeNext(out uint sender, out byte[] message)
    {
        if (_inboxes[0].Count == 0)
        {
            sender = 0;
            message = [];
            return false;
        }

        (sender, message) = _inboxes[0].Dequeue();
        _taken++;
        for (int i = 1; i < NodeCount; i++)
        {
            Assert.True(_inboxes[i].TryDequeue(out (uint Sender, byte[] Message) other), $"node {i + 1} missed a message node 1 received");
            Assert.True(other.Sender == sender && other.Message.AsSpan().SequenceEqual(message), $"node {i + 1} received another order than node 1");
        }

        return true;
    }

    private bool AllReceived()
    {
        foreach (Queue<(uint, byte[])> inbox in _inboxes)
        {
            if (_taken + inbox.Count < _sent)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Inbox(Queue<(uint, byte[])> queue) : IPgGroupHandler
    {
        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => queue.Enqueue((nodeId, payload.ToArray()));
    }
}
