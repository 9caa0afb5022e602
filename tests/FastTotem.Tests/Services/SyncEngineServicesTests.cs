using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Sync;
using FastTotem.Wire;

namespace FastTotem.Tests.Services;

/// <summary>
/// The four services (cmap, cpg, quorum, votequorum) run through the real <see cref="SyncEngine"/> on two nodes
/// joined by an in-test totem (one agreed order, every member receives every message, sender included). Each
/// node's sends in one sync round must match docs/wire-format.md §10.2's table.
/// </summary>
public class SyncEngineServicesTests
{
    private sealed class Node
    {
        public Node(uint nodeId, uint[] nodelist)
        {
            NodeId = nodeId;
            var votes = new uint[nodelist.Length];
            Array.Fill(votes, 1u);
            Services = new NodeServices(
                nodeId,
                VotequorumConfig.FromNodelist(nodeId, nodelist, votes),
                new CpgLimits { ProcessCountMax = 64, GroupCountMax = 16, LocalProcessCountMax = 8, MessageLengthMax = 1024 * 1024, PartialSlotCount = 1, EventCountMax = 64, EventDataBytes = 2 * 1024 * 1024 },
                outbox: new ExecOutbox(4 * 1024 * 1024, 256));
            Engine = new SyncEngine();
            Services.RegisterWith(Engine);
        }

        public uint NodeId { get; }

        public NodeServices Services { get; }

        public ExecOutbox Outbox => Services.Outbox;

        public CmapSyncService Cmap => Services.Cmap;

        public CpgService Cpg => Services.Cpg;

        public QuorumSyncService Quorum => Services.Quorum;

        public VotequorumService Votequorum => Services.Votequorum;

        public SyncEngine Engine { get; }

        public ServiceDispatcher Dispatcher => Services.Dispatcher;

        public List<string> Sent { get; } = new();

        public int Completed { get; set; }
    }

    private readonly Dictionary<uint, Node> _nodes = new();
    private readonly List<(uint Sender, bool Sync, byte[] Message)> _wire = new();

    private static string Describe(bool sync, byte[] m)
    {
        int id = BitConverter.ToInt32(m, 0);
        if (sync)
        {
            return id == SyncMessageId.ServiceBuild ? $"sync.build({m.Length})" : $"sync.barrier({m.Length})";
        }

        return (id >> 16, id & 0xFFFF) switch
        {
            (0, 0) => $"cmap.mcast({m.Length})",
            (2, CpgExecFunction.Downlist) => $"cpg.downlist({m.Length})",
            (2, CpgExecFunction.JoinList) => $"cpg.joinlist({m.Length})",
            (2, CpgExecFunction.ProcJoin) => $"cpg.procjoin({m.Length})",
            (5, 0) => $"vq.nodeinfo({BitConverter.ToUInt32(m, 16)})",
            _ => $"other({id:x8})",
        };
    }

    /// <summary>Drives every node until nothing moves: the host loop a live node runs.</summary>
    private void Run(uint[] ring)
    {
        Span<byte> buffer = new byte[2 * 1024 * 1024];
        for (int pass = 0; pass < 100; pass++)
        {
            bool moved = false;
            foreach (uint n in ring)
            {
                Node node = _nodes[n];
                for (int guard = 0; ; guard++)
                {
                    Assert.True(guard < 100, "PollProcess never settled");
                    bool again = node.Engine.PollProcess();
                    while (node.Outbox.TryPoll(buffer, out int length))
                    {
                        Record(node, false, buffer.Slice(0, length).ToArray());
                    }

                    if (!again)
                    {
                        break;
                    }
                }

                while (node.Engine.TryTakeMessage(buffer, out int length))
                {
                    Record(node, true, buffer.Slice(0, length).ToArray());
                }

                while (node.Engine.TryPollEvent(out _))
                {
                    node.Completed++;
                }
            }

            // Deliver in agreed order to every member of the ring.
            for (int i = 0; i < _wire.Count; i++)
            {
                moved = true;
                (uint sender, bool sync, byte[] message) = _wire[i];
                foreach (uint n in ring)
                {
                    if (sync)
                    {
                        _nodes[n].Engine.HandleMessage(sender, message);
                    }
                    else
                    {
                        _nodes[n].Dispatcher.OnGroupMessage(sender, message, false);
                    }
                }
            }

            _wire.Clear();
            if (!moved)
            {
                return;
            }
        }

        Assert.Fail("the ring never went quiet");
    }

    private void Record(Node node, bool sync, byte[] message)
    {
        node.Sent.Add(Describe(sync, message));
        _wire.Add((node.NodeId, sync, message));
    }

    private void ConfigChange(uint[] ring, Func<uint, uint[]> transitional, MembRingId ringId)
    {
        foreach (uint n in ring)
        {
            _nodes[n].Engine.HandleConfigurationChange(false, transitional(n), ringId);
            _nodes[n].Engine.HandleConfigurationChange(true, ring, ringId);
        }
    }

    [Fact]
    public void TwoNodeMergeSendsWhatWireMdTableSays()
    {
        uint[] nodelist = [1, 2];
        foreach (uint n in nodelist)
        {
            _nodes[n] = new Node(n, nodelist);
            Assert.True(_nodes[n].Votequorum.Start());
            ConfigChange([n], _ => [], new MembRingId(n, 5));
            Run([n]);
            Assert.Equal(1, _nodes[n].Completed);
            Assert.True(_nodes[n].Cpg.IsSynced);
        }

        // The singleton round of a fresh node (a#3–#15): start-up nodeinfo, then the table without a joinlist.
        Assert.Equal(
            ["vq.nodeinfo(1)", "sync.build(552)", "cmap.mcast(328)", "sync.barrier(32)", "cpg.downlist(1568)", "sync.barrier(32)",
             "sync.barrier(32)", "vq.nodeinfo(1)", "vq.nodeinfo(0)", "sync.barrier(32)"],
            _nodes[1].Sent);

        // Node 1 gets a CPG process before the merge, so its round carries a joinlist.
        Assert.Equal(CpgResult.Ok, _nodes[1].Cpg.Join("fasttotem"u8, 11955, out _));
        Run([1]);
        _nodes[1].Sent.Clear();
        _nodes[2].Sent.Clear();

        ConfigChange([1, 2], n => [n], new MembRingId(1, 9));
        Run([1, 2]);

        Assert.Equal(
            ["sync.build(552)", "cmap.mcast(328)", "sync.barrier(32)", "cpg.downlist(1568)", "cpg.joinlist(168)", "sync.barrier(32)",
             "sync.barrier(32)", "vq.nodeinfo(1)", "vq.nodeinfo(0)", "sync.barrier(32)"],
            _nodes[1].Sent);
        Assert.Equal(
            ["sync.build(552)", "cmap.mcast(328)", "sync.barrier(32)", "cpg.downlist(1568)", "sync.barrier(32)",
             "sync.barrier(32)", "vq.nodeinfo(2)", "vq.nodeinfo(0)", "sync.barrier(32)"],
            _nodes[2].Sent);

        foreach (uint n in nodelist)
        {
            Node node = _nodes[n];
            Assert.Equal(2, node.Completed);
            Assert.Equal(new MembRingId(1, 9), node.Quorum.RingId);
            Assert.True(node.Votequorum.Quorate, $"node {n}");
            Assert.Equal(2u, node.Votequorum.GetStatus().TotalVotes);
            Assert.True(node.Cpg.IsSynced);
            var members = new CpgAddress[2];
            Assert.Equal(1, node.Cpg.GetMembers("fasttotem"u8, members));
            Assert.Equal(new CpgAddress(1, 11955, CpgReason.Undefined), members[0]);
            Assert.Equal(0, node.Cmap.MalformedDrops);
            Assert.Equal(0, node.Dispatcher.UnknownServiceDrops);
        }
    }
}
