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
/// One loss remains that corosync's totempg has too and a sender cannot avoid: a node that joins a ring while another
/// member is halfway through a fragmented message (its beginning went out in a ring the joiner was not in) throws the
/// rest away. The checker reports that as a virtual-synchrony difference; the test accepts exactly that case, proven from
/// the history (each missing message was handed to totempg while the node lacking it was outside its sender's ring) and
/// the assembler's counters (fresh-assembly mismatches at that node), and nothing else.
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
                $"transitional mismatches {incarnations[i].Sum(n => n.Assembler.TransitionalMismatches)}, fresh-assembly mismatches {incarnations[i].Sum(n => n.Assembler.FreshSlotMismatches)}");
        }

        string detail = $"seed {seed}: {report.Summary()}\n{string.Join("\n", report.Violations)}";
        Assert.True(sim.Stats.Deliveries > 1000, $"seed {seed}: too little traffic to mean anything ({sim.Stats.Deliveries} deliveries)");
        foreach (Guarantee g in Enum.GetValues<Guarantee>())
        {
            if (g != Guarantee.VirtualSynchrony)
            {
                Assert.False(report.Has(g), detail);
            }
        }

        for (int i = 1; i <= nodes; i++)
        {
            Assert.True(incarnations[i].Sum(n => n.Assembler.NoSlotDrops + n.Assembler.MalformedDrops + n.Assembler.OversizeDrops) == 0, $"n{i} dropped packets\n{detail}");
            // No sender's chain may straddle a barrier: a corosync receiver would keep its first half in a transitional
            // buffer and throw away the sender's first sync message of the next ring change (seen live: sync hung).
            Assert.True(incarnations[i].Sum(n => n.Assembler.TransitionalMismatches) == 0, $"n{i}: a chain crossed a synchronisation's end\n{detail}");
        }

        foreach (Violation v in report.Violations)
        {
            // What one of the two nodes delivered in the old ring and the other did not must be a joiner's loss: per
            // sender, the first message the node lacks was handed to totempg while that node (this incarnation of it)
            // was outside the sender's ring, so the chain it ends may have begun where the node could not see it; the
            // node then throws that sender's packets away until a chain ends, which loses the sender's later messages
            // too. And the node's assembler must have met a continuation in a fresh slot.
            Assert.True(v.Guarantee == Guarantee.VirtualSynchrony && v.Rings.Length == 2 && v.Nodes.Length == 2, detail);
            foreach (uint node in v.Nodes)
            {
                uint other = v.Nodes.First(n => n != node);
                SimRecord? installed = sim.History.Records.FirstOrDefault(r => r.NodeId == node && r.Kind == SimRecordKind.ConfigChange
                    && r.ConfigKind == SimConfigKind.Regular && r.RingId == v.Rings[1]);
                Assert.True(installed is not null, detail);
                var lacked = v.Messages.Where(m => DeliveredBefore(sim.History, other, m, v.Rings[1]) && !DeliveredBefore(sim.History, node, m, v.Rings[1]));
                foreach (IGrouping<uint, MessageId> bySender in lacked.GroupBy(m => m.Node))
                {
                    MessageId first = bySender.MinBy(m => m.Counter);
                    Assert.True(SubmittedOutsideTheRingOf(sim.History, first, installed.Process),
                        $"n{node} lacks {first}, which n{first.Node} handed to totempg in a ring n{node} was in: not a joiner's loss\n{detail}");
                    Assert.True(incarnations[node].Sum(n => n.Assembler.FreshSlotMismatches) > 0,
                        $"n{node} lacks {first} but never met a chain without its beginning\n{detail}");
                }
            }
        }
    }

    /// <summary>Whether <paramref name="node"/> delivered <paramref name="m"/> before installing <paramref name="nextRing"/>.</summary>
    private static bool DeliveredBefore(SimHistory history, uint node, MessageId m, FastTotem.Wire.MembRingId nextRing)
    {
        foreach (SimRecord r in history.Records)
        {
            if (r.NodeId != node)
            {
                continue;
            }

            if (r.Kind == SimRecordKind.ConfigChange && r.ConfigKind == SimConfigKind.Regular && r.RingId == nextRing)
            {
                return false;
            }

            if (r.Kind == SimRecordKind.Deliver && r.Message == m)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether process <paramref name="process"/> was outside the regular configuration the sender of
    /// <paramref name="m"/> was in when it handed <paramref name="m"/> to totempg: it had not started yet, or the
    /// sender's last regular configuration before that did not list its node.
    /// </summary>
    private static bool SubmittedOutsideTheRingOf(SimHistory history, MessageId m, int process)
    {
        SimProcess receiver = history.Processes[process];
        SimRecord? ring = null;
        foreach (SimRecord r in history.Records)
        {
            if (r.NodeId != m.Node)
            {
                continue;
            }

            if (r.Kind == SimRecordKind.ConfigChange && r.ConfigKind == SimConfigKind.Regular)
            {
                ring = r;
            }
            else if (r.Kind == SimRecordKind.Multicast && r.Message == m)
            {
                return receiver.StartNs > r.TimeNs || ring is null || ring.Process != r.Process
                    || Array.IndexOf(ring.Members, receiver.NodeId) < 0;
            }
        }

        return false;
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
