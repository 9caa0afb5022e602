using FastTotem.Protocol.Srp;
using FastTotem.Sim;
using FastTotem.Wire;
using FastTotem.Tests.Node;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// docs/robustness.md, finding C2 in the simulator: three forged datagrams land in a member's socket buffer at once and its loop
/// reads them in one batch, as recvmmsg hands them to the epoll driver. The loop the simulator now runs is the
/// production loop (<see cref="Protocol.Node.NodeLoop"/>), which drains the machine after every datagram; the loop of
/// 2b4ae9e handed the whole batch over first and ended the process (the engine-level twin of this test,
/// NodeLoopBatchTests, shows that loop throwing on the same three datagrams).
/// </summary>
public class BatchedForgeryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1UL, false)]
    [InlineData(2UL, true)]
    public void ThreeForgedDatagramsInOneBatchDoNotEndTheNode(ulong seed, bool wholeStack)
    {
        var machines = new List<MachineSimEngine>();
        var options = new SimOptions
        {
            NodeCount = 3, Seed = seed, DurationNs = 12 * SimFormat.NsPerSecond, MessagesPerSecond = 50,
            ReceiveBatchMin = 64, ReceiveBatchMax = 64,
            EngineFactory = (nodeId, nodeList, seqStore, o) =>
            {
                ISimEngine e = wholeStack ? NodeSimEngine.Create(nodeId, nodeList, seqStore, o) : SrpSimEngine.Create(nodeId, nodeList, seqStore, o);
                machines.Add((MachineSimEngine)e);
                return e;
            },
        };
        var sim = new Simulator(options);
        sim.RunUntil(4 * SimFormat.NsPerSecond);
        MachineSimEngine victim = machines.Last(m => m.Machine.NodeId == 2);
        Assert.Equal(SrpState.Operational, victim.Engine.State);
        Assert.Equal(3, victim.Engine.Members.Length);

        MembRingId ring = victim.Engine.RingId;
        uint highDelivered = victim.Engine.HighDelivered;
        uint tokenSeq = victim.Engine.LastTokenSeq + 1;
        output.WriteLine($"seed {seed}: forging on ring {ring}, seq {highDelivered + 1}, token_seq {tokenSeq}");
        long deliveriesBefore = sim.Stats.Deliveries;
        sim.Inject(2, ForgedBatch.Recipe(ring, highDelivered, tokenSeq, forgedSender: 3));
        sim.RunUntil(sim.NowNs + 1);

        Assert.True(sim.Stats.LargestReadBatch >= 3, $"the forged datagrams were read in batches of at most {sim.Stats.LargestReadBatch}");
        Assert.False(victim.Machine.Faulted, victim.Machine.FaultException?.ToString());
        Assert.Equal(0, victim.Machine.Counters.EventsNotDrained);

        // The node carries on: the ring keeps (or re-forms) all three members and keeps delivering.
        sim.RunUntil(11 * SimFormat.NsPerSecond);
        Assert.False(victim.Machine.Faulted);
        Assert.True(machines.Where(m => m.Machine.IsRunning).All(m => m.Engine.State == SrpState.Operational && m.Engine.Members.Length == 3),
            string.Join(", ", sim.Nodes.Select(n => n.ToString())));
        Assert.True(sim.Stats.Deliveries > deliveriesBefore);
    }
}
