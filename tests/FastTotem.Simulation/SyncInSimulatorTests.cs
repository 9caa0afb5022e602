using FastTotem.Protocol.Srp;
using FastTotem.Sim;
using FastTotem.Wire;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// sync v2 over the real SRP engine and totempg in the simulator: nodes with different service sets (one with
/// none), loss, partitions and crashes. Every node must finish sync on its final ring, run its services in the
/// order sync.c does, and abort a round interrupted by a configuration change exactly once.
/// </summary>
public class SyncInSimulatorTests(ITestOutputHelper output)
{
    private static readonly int[][] ServiceSets =
    {
        Array.Empty<int>(),      // node 1 has no services of its own: it runs no-op handlers for the others
        new[] { 0, 2, 5 },
        new[] { 2, 3, 9 },
        new[] { 63 },
    };

    private (Simulator Sim, SyncSimEngine?[] Nodes) Run(ulong seed, double loss, bool partitions, bool crashes, int processCalls)
    {
        var traces = new SyncSimEngine?[ServiceSets.Length + 1];
        var options = new SimOptions
        {
            NodeCount = ServiceSets.Length, Seed = seed, DurationNs = 40 * SimFormat.NsPerSecond, Loss = loss,
            Partitions = partitions, Crashes = crashes, MessagesPerSecond = 20, TokenMs = 1000, TokenCoefficientMs = 50,
            EngineFactory = (nodeId, nodeList, seqStore, o) =>
            {
                // A restarted node gets a fresh engine and services but keeps its trace, so the history stays whole.
                List<string> trace = traces[nodeId]?.Trace ?? new List<string>();
                trace.Add("start");
                var engine = new SrpEngine(SrpConfig.CorosyncDefaults(nodeId, nodeList, o.TokenMs, o.TokenCoefficientMs), new SrpRingSeqStore(seqStore));
                var node = new SyncSimEngine(engine, nodeId, ServiceSets[nodeId - 1], processCalls, trace);
                traces[nodeId] = node;
                return node;
            },
        };
        var sim = new Simulator(options);
        sim.Run();
        CheckReport report = TotemChecker.Check(sim.History);
        output.WriteLine($"seed {seed}: {sim.Stats.Multicasts} multicasts, {sim.Stats.Deliveries} deliveries; {report.Summary()}");
        Assert.True(report.Passed, $"seed {seed}: " + report.Summary() + string.Join("\n", report.Violations));
        return (sim, traces);
    }

    [Fact]
    public void NodesWithDifferentServiceSetsAllFinishSync()
    {
        (Simulator sim, SyncSimEngine?[] nodes) = Run(seed: 7, loss: 0, partitions: false, crashes: false, processCalls: 1);
        MembRingId final = sim.Node(1).RingId!.Value;
        int[] merged = ServiceSets.SelectMany(s => s).Distinct().Order().ToArray();
        for (uint n = 1; n <= ServiceSets.Length; n++)
        {
            List<string> trace = nodes[n]!.Trace;
            Assert.Contains($"complete {final}", trace);
            CheckOrder(n, trace, merged);

            // Only local services are called; on the final ring every local one was activated in id order.
            int[] activated = trace.SkipWhile(t => t != $"init {ServiceSets[n - 1].FirstOrDefault()} {final}")
                .Where(t => t.StartsWith("activate ", StringComparison.Ordinal) && t.EndsWith(final.ToString(), StringComparison.Ordinal))
                .Select(t => int.Parse(t.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(ServiceSets[n - 1].Order(), activated);
        }
    }

    [Theory]
    [InlineData(11UL)]
    [InlineData(12UL)]
    [InlineData(13UL)]
    [InlineData(14UL)]
    public void SyncSurvivesFaultsAndAbortsInterruptedRoundsOnce(ulong seed)
    {
        // Services need 3 process calls each, so configuration changes often land mid-processing.
        (Simulator sim, SyncSimEngine?[] nodes) = Run(seed, loss: 0.05, partitions: true, crashes: true, processCalls: 3);
        MembRingId final = sim.Node(1).RingId!.Value;
        int[] merged = ServiceSets.SelectMany(s => s).Distinct().Order().ToArray();
        for (uint n = 1; n <= ServiceSets.Length; n++)
        {
            List<string> trace = nodes[n]!.Trace;
            Assert.True(trace.Contains($"complete {final}"), $"seed {seed}: node {n} did not finish sync on {final}:\n" + string.Join("\n", trace.TakeLast(30)));
            CheckOrder(n, trace, merged);
        }
    }

    /// <summary>
    /// Within each round (from one init to the next, or to "complete"): processes and activations go in ascending
    /// id; a service is activated only after it was processed; a round cut short by a new ring aborts the service
    /// that was being processed exactly once, and a completed round aborts nothing.
    /// </summary>
    private static void CheckOrder(uint node, List<string> trace, int[] merged)
    {
        var rounds = new List<List<string>>();
        List<string>? round = null;
        string? ring = null;
        foreach (string t in trace)
        {
            if (t == "start")
            {
                round = null;
                ring = null;
                continue;
            }

            string[] parts = t.Split(' ');
            if (parts[0] == "init" && parts[2] != ring)
            {
                round = new List<string>();
                rounds.Add(round);
                ring = parts[2];
            }

            round?.Add(t);
        }

        foreach (List<string> r in rounds)
        {
            int lastActivated = -1;
            int processing = -1;
            int aborts = 0;
            foreach (string t in r)
            {
                string[] p = t.Split(' ');
                int id = p.Length > 1 && int.TryParse(p[1], out int x) ? x : -1;
                switch (p[0])
                {
                    case "process":
                        Assert.True(id > lastActivated, $"node {node}: process {id} after activate {lastActivated}: {string.Join(" | ", r)}");
                        processing = id;
                        break;
                    case "activate":
                        Assert.True(id == processing, $"node {node}: activate {id} without process: {string.Join(" | ", r)}");
                        Assert.True(id > lastActivated, $"node {node}: activations out of order: {string.Join(" | ", r)}");
                        lastActivated = id;
                        processing = -1;
                        break;
                    case "abort":
                        // The service in processing is aborted: one being processed, or (as sync.c) the next one
                        // whose processing was entered but not yet called.
                        aborts++;
                        Assert.True(id == processing || (processing == -1 && id > lastActivated),
                            $"node {node}: abort {id} while processing {processing}, last activated {lastActivated}: {string.Join(" | ", r)}");
                        break;
                }
            }

            bool completed = r.Any(t => t.StartsWith("complete ", StringComparison.Ordinal));
            if (completed)
            {
                Assert.Equal(0, aborts);
            }
            else
            {
                Assert.True(aborts <= 1, $"node {node}: {aborts} aborts in one round: {string.Join(" | ", r)}");
            }
        }
    }
}
