using System.Reflection;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Srp;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// G6 (docs/robustness.md): the sync drain took a message off the sync queue whenever the transitional packer had one
/// free slot, and ignored the packer's answer. At a small netmtu a service_build (552 bytes) needs two payloads, so
/// with one slot free the packer refused it and the message was gone: the node waited for its own service_build
/// forever and the synchronisation never ended. The same test, written against the stack of 49206ec (before the
/// fix ac5e0c7), failed there: branch g6-evidence.
/// </summary>
public class SyncDrainPackerRoomTests
{
    [Fact]
    public void A_service_build_meeting_a_packer_with_one_free_slot_is_not_lost()
    {
        var h = new RingHarness(1, (id, list) => SrpConfig.CorosyncDefaults(id, list, 1000) with { NetMtu = 576 }, services: true);
        NodeMachine machine = h.Machines[0];
        object stack = Field(machine, "_stack");
        var fill = new FillAtRegularChange((INodeListener)Field(stack, "_listener"), (PgPacker)Field(stack, "_transPacker"));
        // The stack tells the machine of its configuration changes through this listener: fill the packer at the first
        // regular one, after sync queued its service_build and before anything drained it.
        stack.GetType().GetField("_listener", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(stack, fill);
        ((NodeStack)stack).JoinGroup("fill"u8, new Ignore());
        int completed = 0;
        h.OnDeliver = (int _, in NodeEvent ev) => completed += ev.Kind == NodeEventKind.SyncComplete ? 1 : 0;
        h.StartAll();

        long end = h.Now + Ms(10_000);
        while (h.Now < end && completed == 0)
        {
            h.RunFor(Ms(1));
            h.Drain(0);
        }

        Assert.True(fill.Filled, "the ring never formed, so the packer was never filled");
        Assert.Equal(1, fill.FreeAfterFill);
        Assert.True(completed > 0, "the synchronisation never completed: its service_build was lost");
    }

    private static object Field(object owner, string name) =>
        owner.GetType().GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(owner)!;

    /// <summary>Forwards to the machine; at the first regular configuration change, fills the transitional packer to
    /// one free slot (a service_build needs two at this netmtu).</summary>
    private sealed class FillAtRegularChange(INodeListener inner, PgPacker packer) : INodeListener
    {
        public bool Filled { get; private set; }

        public int FreeAfterFill { get; private set; } = -1;

        public void OnConfigChange(in SrpEvent ev)
        {
            inner.OnConfigChange(in ev);
            if (Filled || ev.ConfigKind != ConfigChangeKind.Regular)
            {
                return;
            }

            Filled = true;
            var group = new PgGroupSet("fill"u8);
            byte[] small = new byte[16];
            // One small message flushed at a time: exactly one payload each.
            while (packer.QueueAvailable > 1)
            {
                Assert.Equal(SendResult.Ok, packer.TrySend(group, small));
                packer.HandleTokenReceived();
            }

            FreeAfterFill = packer.QueueAvailable;
        }

        public void OnSyncComplete(MembRingId ringId, bool accelerated) => inner.OnSyncComplete(ringId, accelerated);

        public void OnGather(GatherReason reason, MembRingId ringId) => inner.OnGather(reason, ringId);

        public void OnCryptoReconfigure(uint senderNodeId) => inner.OnCryptoReconfigure(senderNodeId);
    }

    private sealed class Ignore : IPgGroupHandler
    {
        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian)
        {
        }
    }
}
