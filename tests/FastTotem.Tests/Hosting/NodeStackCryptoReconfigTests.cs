using System.Buffers.Binary;
using FastTotem.Protocol.Node;
using FastTotem.Tests.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// cfg's CRYPTO_RECONFIG phase 1, multicast in group "a" by one node as a corosync daemon does after
/// <c>corosync-cfgtool -R</c> changed the authkey, comes out of every node machine as a CryptoReconfigure event naming the
/// sender, once; phase 2 (CLEANUP) does not.
/// </summary>
public class NodeStackCryptoReconfigTests
{
    [Fact]
    public void EveryNodeReportsTheFirstPhaseOneOnceWithItsSender()
    {
        var h = new RingHarness(3, services: true);
        NodeMachine[] stacks = h.Machines;
        var reported = new List<(int Node, uint Sender)>();
        int synced = 0;
        h.OnDeliver = (int index, in NodeEvent ev) =>
        {
            if (ev.Kind == NodeEventKind.CryptoReconfigure)
            {
                reported.Add((index, ev.SenderNodeId));
            }
            else if (ev.Kind == NodeEventKind.SyncComplete)
            {
                synced++;
            }
        };
        h.StartAll();
        Step(h, stacks, Ms(4000));
        Assert.True(synced >= 3, $"the stacks never synchronised ({synced} completions)");

        Assert.True(stacks[1].Services.Outbox.TryEnqueue(CryptoReconfig(2)));
        Assert.True(stacks[1].Services.Outbox.TryEnqueue(CryptoReconfig(1)));
        Assert.True(stacks[2].Services.Outbox.TryEnqueue(CryptoReconfig(1)));
        Step(h, stacks, Ms(200));

        // Node 2's phase 1 is ordered before node 3's; a node reports a change once per delivery batch at most, and the
        // phase-2 message in front of it reports nothing.
        Assert.Contains((0, 2u), reported);
        Assert.Contains((1, 2u), reported);
        Assert.Contains((2, 2u), reported);
        Assert.All(reported, r => Assert.True(r.Sender is 2 or 3, $"node {r.Node + 1} reported sender {r.Sender}"));
        Assert.Equal(2, stacks[0].Services.Cfg.CryptoReconfigActivations);
    }

    /// <summary>struct req_exec_cfg_crypto_reconfig: qb header (id 0x00010004, size 24), phase at offset 16.</summary>
    private static byte[] CryptoReconfig(uint phase)
    {
        var message = new byte[24];
        BinaryPrimitives.WriteInt32LittleEndian(message, (1 << 16) | 4);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), 24);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(16), phase);
        return message;
    }

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
}
