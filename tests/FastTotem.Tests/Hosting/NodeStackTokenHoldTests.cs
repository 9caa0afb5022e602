using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// The whole node stack on an idle ring whose token is held: whatever the services queue (a CPG request here, as a
/// votequorum or sync message would be) must release the held token at once, as corosync's mcast_msg does for every
/// message, not wait out the token hold timer.
/// </summary>
public class NodeStackTokenHoldTests
{
    [Fact]
    public void AServiceMessageOnAnIdleRingIsDeliveredWithinMilliseconds()
    {
        var h = new RingHarness(3, services: true);
        NodeMachine[] stacks = h.Machines;
        var listener = new SyncCounter();
        h.OnDeliver = listener.OnEvent;
        h.StartAll();
        Step(h, stacks, Ms(4000));
        Assert.True(listener.Completed >= 3, $"the stacks never synchronised ({listener.Completed} completions)");
        Assert.True(stacks[1].Cpg.AcceptsLocalRequests);

        // Idle long enough that the token sits held between visits.
        Step(h, stacks, Ms(3000));

        long start = h.Now;
        Assert.Equal(CpgResult.Ok, stacks[1].Cpg.Join("held"u8, 77, out _));
        bool joined = false;
        while (!joined && h.Now - start < Ms(1000))
        {
            Step(h, stacks, Ms(1));
            while (stacks[1].Cpg.PollEvent(out CpgEvent ev))
            {
                joined |= ev.Kind == CpgEventKind.ConfigChange;
            }
        }

        Assert.True(joined, "the procjoin never came back");
        double ms = (h.Now - start) / 1e6;
        // A missing signal costs the rest of the token hold timer: about 290 ms in this run when it was missing.
        Assert.True(ms < 50, $"the procjoin took {ms:F1} ms to come back: the held token was not released");
    }

    /// <summary>Runs the ring in 1 ms slices, each node taking a host-command step after every slice.</summary>
    private static void Step(RingHarness h, NodeMachine[] stacks, long duration)
    {
        long end = h.Now + duration;
        while (h.Now < end)
        {
            h.RunFor(Ms(1));
            for (int i = 0; i < stacks.Length; i++)
            {
                h.Drain(i);
            }
        }
    }

    private sealed class SyncCounter
    {
        public int Completed { get; private set; }

        public void OnEvent(int index, in NodeEvent ev)
        {
            if (ev.Kind == NodeEventKind.SyncComplete)
            {
                Completed++;
            }
        }
    }
}
