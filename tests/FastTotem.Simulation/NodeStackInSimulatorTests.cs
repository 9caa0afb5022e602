using FastTotem.Protocol.Srp;
using FastTotem.Sim;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// The whole node stack (SRP + totempg + sync + services, as the live node runs it) in the simulator, streaming
/// messages large enough that totempg fragments them across SRP messages all the time, through loss, crashes and
/// partitions.
/// Before the engine had corosync's two send lanes, what was queued before a ring change went out during the
/// synchronisation; receivers reassembled it in their transitional buffers, found a continuation with no beginning
/// and threw whole runs of messages away at every node alike (the sender's own included: seen live against corosync,
/// 26 of 600 CPG messages). And the switch back to the regular buffers came after the rest of the delivery batch
/// instead of right at the barrier, so a node could throw away what followed the barrier. And CPG let local processes
/// send once its own round activated, while later services still synchronised, so their chains could straddle the last
/// barrier (seen live: a corosync receiver kept the stale half and hung the next synchronisation); no receiver's
/// transitional buffers may now see a chain cross.
/// A node that joins a ring while another member is halfway through a fragmented message (its beginning went out in a
/// ring the joiner was not in) used to throw the rest away, as corosync's totempg does; the sender now restarts such a
/// chain whole at the ring change (NodeStack.RestartChainForNewMembers), so every guarantee must hold, virtual
/// synchrony included, with no exception.
/// </summary>
public class NodeStackInSimulatorTests(ITestOutputHelper output)
{
    private void Run(ulong seed, int nodes, double loss, bool partitions, int payloadBytes)
    {
        var incarnations = new List<NodeSimEngine>[nodes + 1];
        for (int i = 0; i <= nodes; i++)
        {
            incarnations[i] = new List<NodeSimEngine>();
        }

        var options = new SimOptions
        {
            NodeCount = nodes, Seed = seed, DurationNs = 40 * SimFormat.NsPerSecond, Loss = loss,
            Partitions = partitions, Crashes = true, MessagesPerSecond = 150, PayloadDataBytes = payloadBytes,
            TokenMs = 1000, TokenCoefficientMs = 50,
            EngineFactory = (nodeId, nodeList, seqStore, o) =>
            {
                var engine = new SrpEngine(SrpConfig.CorosyncDefaults(nodeId, nodeList, o.TokenMs, o.TokenCoefficientMs), new SrpRingSeqStore(seqStore));
                var node = new NodeSimEngine(engine, nodeId, nodeList);
                incarnations[nodeId].Add(node);
                return node;
            },
        };
        var sim = new Simulator(options);
        sim.Run();
        CheckReport report = TotemChecker.Check(sim.History);
        output.WriteLine($"seed {seed} (replay: this test with the same seed): {sim.Stats.Multicasts} multicasts ({sim.Stats.MulticastsRejected} refused), {sim.Stats.Deliveries} deliveries");
        output.WriteLine(report.Summary());
        for (int i = 1; i <= nodes; i++)
        {
            output.WriteLine($"n{i}: {incarnations[i].Count} incarnations, thrown away {incarnations[i].Sum(n => n.Assembler.ThrownAwayPackets)}, " +
                $"transitional mismatches {incarnations[i].Sum(n => n.Assembler.TransitionalMismatches)}, fresh-assembly mismatches {incarnations[i].Sum(n => n.Assembler.FreshSlotMismatches)}, " +
                $"chains restarted {incarnations[i].Sum(n => n.Machine.Stack.ChainRestarts)}");
        }

        string detail = $"seed {seed}: {report.Summary()}\n{string.Join("\n", report.Violations)}";
        Assert.True(sim.Stats.Deliveries > 1000, $"seed {seed}: too little traffic to mean anything ({sim.Stats.Deliveries} deliveries)");
        Assert.False(report.Violations.Count > 0, detail);
        for (int i = 1; i <= nodes; i++)
        {
            Assert.True(incarnations[i].Sum(n => n.Assembler.NoSlotDrops + n.Assembler.MalformedDrops + n.Assembler.OversizeDrops) == 0, $"n{i} dropped packets\n{detail}");
            // No sender's chain may straddle a barrier: a corosync receiver would keep its first half in a transitional
            // buffer and throw away the sender's first sync message of the next ring change (seen live: sync hung).
            Assert.True(incarnations[i].Sum(n => n.Assembler.TransitionalMismatches) == 0, $"n{i}: a chain crossed a synchronisation's end\n{detail}");
            Assert.True(incarnations[i].Sum(n => n.Machine.Stack.ChainRestartsImpossible) == 0, $"n{i}: a chain could not be restarted for new members\n{detail}");
        }
    }

    [Theory]
    [InlineData(21UL)]
    [InlineData(22UL)]
    [InlineData(23UL)]
    [InlineData(24UL)]
    [InlineData(25UL)]
    [InlineData(26UL)]
    public void FragmentedStreamsSurviveCrashesAndLoss(ulong seed) => Run(seed, nodes: 3, loss: 0.02, partitions: false, payloadBytes: 600);

    /// <summary>
    /// Seed 1021: a node's synchronisation completed on an old-ring message that recovery delivered while the next
    /// ring was being installed; its acknowledgement, read after the installation, opened the new ring's regular
    /// lane during that ring's synchronisation, and its held stream straddled the barrier at every receiver (before
    /// <see cref="SrpEngine.TransAck"/> checked the ring).
    /// </summary>
    [Theory]
    [InlineData(1021UL)]
    public void AnAcknowledgementForAnOlderRingKeepsTheNewRingsLaneHeld(ulong seed) => Run(seed, nodes: 3, loss: 0.03, partitions: false, payloadBytes: 700);

    [Theory]
    [InlineData(31UL)]
    [InlineData(32UL)]
    [InlineData(33UL)]
    [InlineData(1119UL)]
    public void FragmentedStreamsSurvivePartitionsOnFiveNodes(ulong seed) => Run(seed, nodes: 5, loss: 0.01, partitions: true, payloadBytes: 1000);
}
