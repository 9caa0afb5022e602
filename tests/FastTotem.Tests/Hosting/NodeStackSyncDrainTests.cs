using System.Reflection;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// docs/robustness.md, finding G6: three node stacks at netmtu 576, where a service_build needs two
/// totempg payloads. Node 3 dies; while the others have no token, node 1's transitional packer is filled to one free
/// slot (its engine lane is full, so nothing leaves). At the ring change node 1's service_build must still go out, so
/// the synchronisation of the ring of two completes; a drain that takes it from sync while the packer has "a slot"
/// and ignores the packer's refusal loses it, and the synchronisation never completes.
/// </summary>
public class NodeStackSyncDrainTests
{
    [Fact]
    public void AServiceBuildMeetingAPackerWithOneFreeSlotStillGoesOut()
    {
        var h = new RingHarness(3, (id, list) => SrpConfig.CorosyncDefaults(id, list, 1000) with { NetMtu = 576, SendQueueCapacity = 8 }, services: true);
        NodeMachine[] stacks = h.Machines;
        var listener = new SyncCounter();
        h.OnDeliver = listener.OnEvent;
        h.StartAll();
        Step(h, stacks, Ms(4000));
        Assert.True(h.AllOperationalWith(0, 1, 2), "no ring of three");
        Assert.True(listener.Completed >= 3, $"the stacks never synchronised ({listener.Completed} completions)");

        h.Crash(2);
        Step(h, stacks, Ms(50)); // the token dies at node 3
        int before = listener.Completed;
        var packer = (PgPacker)typeof(NodeStack).GetField("_transPacker", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(stacks[0].Stack)!;
        var junk = new PgGroupSet("junk"u8);
        byte[] message = new byte[100];
        for (int round = 0; round < 100 && packer.QueueAvailable > 1; round++)
        {
            while (packer.QueueAvailable > 1 && packer.TrySend(junk, message) == SendResult.Ok)
            {
            }

            Step(h, stacks, Ms(1)); // the engine's lane takes what it has room for
        }

        Assert.Equal(1, packer.QueueAvailable);
        Step(h, stacks, Ms(8000));
        Assert.True(h.AllOperationalWith(0, 1), $"nodes 1 and 2 did not re-form: {h.Engines[0].State}, {h.Engines[1].State}");
        Assert.True(listener.Completed >= before + 2,
            $"the ring of two did not finish its synchronisation ({listener.Completed - before} completions after the change, 2 due)");
    }

    private static void Step(RingHarness h, NodeMachine[] stacks, long duration)
    {
        long end = h.Now + duration;
        while (h.Now < end)
        {
            h.RunFor(Ms(1));
            for (int i = 0; i < stacks.Length; i++)
            {
                if (h.Running[i])
                {
                    h.Drain(i);
                }
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
