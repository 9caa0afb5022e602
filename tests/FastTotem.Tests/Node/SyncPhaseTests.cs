using FastTotem.Protocol;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Node;

/// <summary>
/// "Are we synchronising?" has one owner, the node machine's <see cref="SyncPhase"/>: the SRP engine's lanes,
/// totempg's reassembly side, sync v2 and CPG's local requests read it, so they cannot disagree. These tests drive
/// three full machines through a synchronisation, an abort (a partition in the middle of one) and a restart of it,
/// and check every layer's view against the one owner after every input that produced an event and every slice.
/// </summary>
public class SyncPhaseTests
{
    [Fact]
    public void EveryLayerReadsTheOnePhase()
    {
        var h = new RingHarness(3, services: true);
        foreach (NodeMachine m in h.Machines)
        {
            SyncPhase phase = m.Phase;
            Assert.Same(phase, m.Engine.Phase);
            Assert.Same(phase, m.Assembler.Phase);
            Assert.Same(phase, m.Stack.Sync.Phase);
            Assert.Same(phase, m.Cpg.Phase);
            // corosync starts synchronising: nothing local before the first synchronisation completed.
            Assert.True(phase.SyncInProgress && phase.RegularLaneHeld && phase.TotempgWaitingTransAck);
            Assert.False(m.Cpg.AcceptsLocalRequests);
        }
    }

    [Fact]
    public void LayersAgreeThroughASynchronisationAnAbortAndItsRestart()
    {
        var h = new RingHarness(3, services: true);
        var checker = new LayerChecker(h);
        h.OnDeliver = checker.OnEvent;
        h.StartAll();
        RunChecked(h, checker, Ms(4000));
        AssertAllSynced(h, "first ring");

        // Cut node 3 off: the others re-form as {1, 2} and synchronise; heal, and while the merged ring of three
        // synchronises, cut node 3 off again, so its synchronisation is aborted by the next configuration change.
        bool cut = true;
        h.DropFilter = (from, to, _) => cut && from != to && (from == 3 || to == 3);
        RunChecked(h, checker, Ms(4000));
        Assert.True(h.Machines[0].Cpg.AcceptsLocalRequests, "{1, 2} did not synchronise without node 3");

        long abortsBefore = h.Machines[0].Phase.Aborts + h.Machines[1].Phase.Aborts;
        cut = false;
        long deadline = h.Now + Ms(8000);
        while (h.Now < deadline && !(h.Machines[0].Phase.SyncInProgress && h.Machines[0].Engine.State == SrpState.Operational && MembersOf(h, 0) == 3))
        {
            h.RunFor(Ms(0.05));
            checker.CheckAll();
        }

        Assert.True(h.Machines[0].Phase.SyncInProgress, "the merged ring never started synchronising");
        cut = true;
        RunChecked(h, checker, Ms(4000));
        Assert.True(h.Machines[0].Phase.Aborts + h.Machines[1].Phase.Aborts > abortsBefore,
            "the partition did not abort a running synchronisation");

        cut = false;
        RunChecked(h, checker, Ms(8000));
        AssertAllSynced(h, "after the abort");
        Assert.True(checker.Checks > 1000, $"only {checker.Checks} checks ran");
        Assert.True(checker.SawSyncInProgressWithLaneHeld && checker.SawSynced, "the run did not go through both sides of the phase");
    }

    private static int MembersOf(RingHarness h, int index)
    {
        (int Node, ConfigChangeKind Kind, string RingId, uint[] Members, uint[] Left, uint[] Joined) last =
            h.ConfigChanges.LastOrDefault(c => c.Node == index && c.Kind == ConfigChangeKind.Regular);
        return last.Members?.Length ?? 0;
    }

    private static void AssertAllSynced(RingHarness h, string when)
    {
        foreach (NodeMachine m in h.Machines)
        {
            SyncPhase p = m.Phase;
            Assert.False(p.SyncInProgress, $"node {m.NodeId} still synchronising {when}");
            Assert.False(p.RegularLaneHeld, $"node {m.NodeId} still holds its regular lane {when}");
            Assert.False(p.TotempgWaitingTransAck, $"node {m.NodeId}'s totempg still waits {when}");
            Assert.True(m.Cpg.AcceptsLocalRequests, $"node {m.NodeId}'s CPG refuses local requests {when}");
        }
    }

    /// <summary>Runs in 1 ms slices, every node taking its host step after each, checking the layers after each slice.</summary>
    private static void RunChecked(RingHarness h, LayerChecker checker, long duration)
    {
        long end = h.Now + duration;
        while (h.Now < end)
        {
            h.RunFor(Ms(1));
            for (int i = 0; i < h.Machines.Length; i++)
            {
                h.Drain(i);
            }

            checker.CheckAll();
        }
    }

    private sealed class LayerChecker(RingHarness h)
    {
        public int Checks { get; private set; }

        public bool SawSyncInProgressWithLaneHeld { get; private set; }

        public bool SawSynced { get; private set; }

        /// <summary>Called with each drained event, i.e. right after the input that made it settled the node.</summary>
        public void OnEvent(int index, in NodeEvent ev) => Check(index);

        public void CheckAll()
        {
            for (int i = 0; i < h.Machines.Length; i++)
            {
                Check(i);
            }
        }

        private void Check(int index)
        {
            NodeMachine m = h.Machines[index];
            SyncPhase p = m.Phase;
            Checks++;
            // Each layer's own answer is the phase's.
            Assert.Equal(p.RegularLaneHeld, m.Engine.WaitingTransAck);
            Assert.Equal(p.SyncInProgress, m.Stack.Sync.IsSyncInProgress);
            Assert.Equal(m.Cpg.IsSynced && !p.SyncInProgress, m.Cpg.AcceptsLocalRequests);
            // And the phase's facts are ordered between inputs: totempg waits only while the engine holds its lane
            // and a synchronisation runs; CPG takes local requests only when none runs.
            Assert.True(!p.TotempgWaitingTransAck || p.RegularLaneHeld, $"node {m.NodeId}: totempg waits on an open lane");
            Assert.True(!p.TotempgWaitingTransAck || p.SyncInProgress, $"node {m.NodeId}: totempg waits outside a synchronisation");
            Assert.True(!m.Cpg.AcceptsLocalRequests || !p.RegularLaneHeld || p.StaleAcks > 0,
                $"node {m.NodeId}: CPG takes local requests while the engine holds the regular lane");
            SawSyncInProgressWithLaneHeld |= p.SyncInProgress && p.RegularLaneHeld;
            SawSynced |= !p.SyncInProgress && !p.RegularLaneHeld;
        }
    }
}
