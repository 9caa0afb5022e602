using System.Reflection;
using FastTotem.Hosting;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Srp;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// G6 (docs/robustness.md): the sync drain took a message off the sync queue whenever the transitional packer had one
/// free slot, and ignored the packer's answer. At a small netmtu a service_build (552 bytes) needs two payloads, so
/// with one slot free the packer refused it and the message was gone: the node waited for its own service_build
/// forever and the synchronisation never ended.
/// </summary>
public class SyncDrainPackerRoomTests
{
    [Fact]
    public void A_service_build_meeting_a_packer_with_one_free_slot_is_not_lost()
    {
        var h = new RingHarness(1, (id, list) =>
        {
            SrpConfig c = SrpConfig.CorosyncDefaults(id, list, 1000);
            c.NetMtu = 576;
            return c;
        });
        var listener = new FillAtRegularChange();
        var stack = new NodeStack(h.Engines[0], VotequorumConfig.FromNodelist(h.NodeList[0], h.NodeList, [1]), listener);
        listener.Stack = stack;
        stack.HostWork = listener;
        stack.JoinGroup("fill"u8, new Ignore());
        h.OnDeliver = (int index, in SrpEvent ev) => stack.OnEvent(in ev);
        h.StartAll();

        long end = h.Now + Ms(10_000);
        while (h.Now < end && listener.Completed == 0)
        {
            h.RunFor(Ms(1));
            stack.OnIdle(h.Engines[0], h.Now);
            h.Drain(0);
        }

        Assert.True(listener.Filled, "the ring never formed, so the packer was never filled");
        Assert.Equal(1, listener.FreeAfterFill);
        Assert.True(listener.Completed > 0, "the synchronisation never completed: its service_build was lost");
    }

    /// <summary>
    /// After the first regular configuration change (the sync has queued its service_build and nothing has drained it
    /// yet), at the host's turn right before the drains, fills the transitional packer to one free slot (a
    /// service_build needs two at this netmtu).
    /// </summary>
    private sealed class FillAtRegularChange : INodeListener, IHostWork
    {
        private bool _armed;

        public NodeStack? Stack;

        public bool Filled { get; private set; }

        public int FreeAfterFill { get; private set; } = -1;

        public int Completed { get; private set; }

        public void OnConfigChange(in SrpEvent ev)
        {
            if (ev.ConfigKind == ConfigChangeKind.Regular)
            {
                _armed = true;
            }
        }

        public void Run(NodeStack stack)
        {
            if (Filled || !_armed)
            {
                return;
            }

            Filled = true;
            var packer = (PgPacker)typeof(NodeStack).GetField("_transPacker", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(stack)!;
            var fill = new PgGroupSet("fill"u8);
            byte[] small = new byte[16];
            // One small message flushed at a time: exactly one payload each.
            while (packer.QueueAvailable > 1)
            {
                Assert.Equal(PgSendResult.Queued, packer.TrySend(fill, small));
                packer.HandleTokenReceived();
            }

            FreeAfterFill = packer.QueueAvailable;
        }

        public void OnSyncComplete(MembRingId ringId) => Completed++;
    }

    private sealed class Ignore : IPgGroupHandler
    {
        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian)
        {
        }
    }
}
