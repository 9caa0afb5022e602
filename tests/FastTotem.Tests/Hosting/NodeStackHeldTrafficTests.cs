using System.Buffers.Binary;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// Per-sender order across membership changes under send load (docs/robustness.md, finding G7): what the services queued before a
/// ring change is held until its synchronisation is done and then sent in order on the regular lane. The held queue is
/// bounded; when a change came while the last one's held traffic was still draining, what did not fit went out on
/// the transitional lane, ahead of the held messages, and the receivers delivered one sender's messages out of order.
/// </summary>
public class NodeStackHeldTrafficTests
{
    private const int MessageBytes = 3000;

    /// <summary>
    /// Node 1 floods a CPG group (a counter in each message) through three back-to-back ring changes. Node 2, in the
    /// ring with node 1 throughout, must deliver every message of node 1 once, in the order node 1 sent them. Small
    /// outboxes and a small window make the held queue fill by the third change.
    /// </summary>
    [Fact]
    public void OneSendersMessagesStayInOrderAcrossBackToBackRingChangesUnderLoad()
    {
        var h = new RingHarness(5, (id, nodes) => SrpConfig.CorosyncDefaults(id, nodes, 1000) with { SendQueueCapacity = 64, WindowSize = 8, MaxMessages = 2 }, services: true,
            servicesMachine: (engine, quorum) => new NodeMachine(engine, quorum, new CpgLimits { MessageLengthMax = 4096 }, outboxBytes: 32 * 1024, packerQueueCapacity: 64));
        NodeMachine[] m = h.Machines;
        int[] syncs = new int[5];
        h.OnDeliver = (int index, in NodeEvent ev) =>
        {
            if (ev.Kind == NodeEventKind.SyncComplete)
            {
                syncs[index]++;
            }
        };
        h.StartAll();
        long formDeadline = h.Now + Ms(20000);
        while (!(h.AllOperationalWith(0, 1, 2, 3, 4) && m[0].Cpg.AcceptsLocalRequests && m[1].Cpg.AcceptsLocalRequests) && h.Now < formDeadline)
        {
            Run(h, Ms(10), null);
        }

        Assert.True(h.AllOperationalWith(0, 1, 2, 3, 4), "the ring of five never formed");
        Assert.Equal(CpgResult.Ok, m[0].Cpg.Join("g7"u8, 1, out int sender));
        Assert.Equal(CpgResult.Ok, m[1].Cpg.Join("g7"u8, 2, out _));
        Run(h, Ms(200), null);

        var order = new OrderCheck();
        var flood = new Flood(m[0].Cpg, sender);
        Action slice = () =>
        {
            flood.Fill();
            order.Drain(m[1].Cpg);
        };
        Run(h, Ms(300), slice);

        // Cut nodes 5, 4 and 3 off one after the other, each as soon as node 1 finished synchronising the ring
        // without the previous one: a cut stops the token until it is declared lost, so the held traffic of one change
        // has not drained when the next comes, while node 1's host fills the outbox again.
        var cut = new HashSet<uint>();
        foreach (uint victim in new uint[] { 5, 4, 3 })
        {
            cut.Add(victim);
            h.DropFilter = (from, to, _) => cut.Contains(from) || cut.Contains(to);
            long deadline = h.Now + Ms(10000);
            while ((h.Engines[0].Members.Contains(victim) || m[0].Phase.SyncInProgress) && h.Now < deadline)
            {
                Run(h, Ms(1), slice);
            }

            Assert.False(h.Engines[0].Members.Contains(victim) || m[0].Phase.SyncInProgress,
                $"node 1 never synchronised a ring without node {victim}");
        }

        h.DropFilter = null;
        Run(h, Ms(5000), () => order.Drain(m[1].Cpg));
        Assert.True(flood.Sent > 200, $"only {flood.Sent} messages were sent: no load ({syncs[0]} synchronisations)");
        Assert.True(order.FirstViolation == null, order.FirstViolation);
        Assert.Equal(flood.Sent, order.Next);
    }

    private static void Run(RingHarness h, long duration, Action? eachSlice)
    {
        long end = h.Now + duration;
        while (h.Now < end)
        {
            eachSlice?.Invoke();
            h.RunFor(Ms(1));
            for (int i = 0; i < h.Machines.Length; i++)
            {
                if (h.Running[i])
                {
                    h.Drain(i);
                }
            }
        }
    }

    private sealed class Flood(CpgService cpg, int handle)
    {
        private readonly byte[] _message = new byte[MessageBytes];

        public long Sent { get; private set; }

        /// <summary>Queues messages until CPG refuses one (a full outbox, or a synchronisation running).</summary>
        public void Fill()
        {
            for (int i = 0; i < 4096; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(_message, Sent);
                if (cpg.TryMcast(handle, _message) != SendResult.Ok)
                {
                    return;
                }

                Sent++;
            }
        }
    }

    private sealed class OrderCheck
    {
        public long Next { get; private set; }

        public string? FirstViolation { get; private set; }

        public void Drain(CpgService cpg)
        {
            while (cpg.PollEvent(out CpgEvent ev))
            {
                if (ev.Kind != CpgEventKind.Deliver || ev.NodeId != 1)
                {
                    continue;
                }

                long counter = BinaryPrimitives.ReadInt64LittleEndian(ev.Data);
                if (counter != Next && FirstViolation == null)
                {
                    FirstViolation = $"node 2 delivered node 1's message {counter} where {Next} was due";
                }

                Next = Math.Max(Next, counter + 1);
            }
        }
    }
}
