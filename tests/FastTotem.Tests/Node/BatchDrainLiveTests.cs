using System.Net;
using System.Net.Sockets;
using System.Reflection;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Tests.Node;

/// <summary>
/// docs/robustness.md, finding C2 on a live ring (issue 12's batch recipe end to end). Three nodes on loopback; node 2's
/// protocol thread is held inside a delivery handler while three forged datagrams (ForgedBatch's recipe: a fresh token
/// claiming seq H+1, mcast H+1 from node 3, the next token, which releases H+1) wait in its socket, so its loop reads
/// them in one receive batch. A loop that hands the whole batch to the engine before draining finds the delivery's
/// slot already released and throws on the protocol thread; the node must instead keep running.
/// </summary>
public class BatchDrainLiveTests
{
    private static bool WaitFor(Func<bool> condition, int ms = 15_000) => FastTotem.Tests.Hosting.TotemNodeTests.WaitFor(condition, ms);

    private static SrpEngine EngineOf(TotemNode node) =>
        ((NodeMachine)typeof(TotemNode).GetField("_machine", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(node)!).Engine;

    private static uint Field(SrpEngine engine, string name) =>
        (uint)typeof(SrpEngine).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(engine)!;

    [Fact]
    public async Task ABatchWhoseLastDatagramReleasesAnEarlierOnesDeliveryLeavesTheNodeRunning()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-batch-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var members = Enumerable.Range(1, 3).Select(i => new TotemMember((uint)i, IPAddress.Parse($"127.0.0.{i}"))).ToArray();
        var nodes = new TotemNode[3];
        for (int i = 0; i < 3; i++)
        {
            nodes[i] = TotemNode.Create(new TotemNodeOptions
            {
                NodeId = (uint)(i + 1), Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(dir, $"n{i + 1}"),
            });
            nodes[i].Start();
        }

        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int after = 0;
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            ProcessGroup victimGroup = await nodes[1].JoinGroupAsync("batch", (node, pid, data) =>
            {
                if (data.Length == 1 && data[0] == 0x01)
                {
                    Interlocked.Increment(ref after);
                }

                if (data.Length == 1 && data[0] == 0xEE)
                {
                    held.Set();
                    release.Wait(5_000); // holds node 2's protocol thread while the forged batch queues up
                }
            }).WaitAsync(TimeSpan.FromSeconds(15));
            ProcessGroup sender = await nodes[0].JoinGroupAsync("batch", (_, _, _) => { }).WaitAsync(TimeSpan.FromSeconds(15));
            var faults = new System.Collections.Concurrent.ConcurrentQueue<NodeFault>();
            nodes[1].Faulted += faults.Enqueue;
            Assert.True(WaitFor(() => victimGroup.Membership?.Members.Length == 2), "group membership did not reach 2");

            Assert.Equal(SendResult.Ok, sender.TryMulticast(new byte[] { 0xEE }));
            Assert.True(held.Wait(TimeSpan.FromSeconds(15)), "node 2's handler was not reached");
            SrpEngine victim = EngineOf(nodes[1]);
            MembRingId ring = victim.RingId;
            uint high = Field(victim, "_myHighDelivered");
            uint tokenSeq = Field(victim, "_myTokenSeq") + 1000; // fresh whatever the real token is doing meanwhile
            byte[][] batch = ForgedBatchRecipe(ring, high, tokenSeq, 3);
            using (var asRep = new UdpClient(new IPEndPoint(IPAddress.Parse($"127.0.0.{ring.Rep}"), 0)))
            using (var asThree = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0)))
            {
                var victimAddress = new IPEndPoint(IPAddress.Parse("127.0.0.2"), port);
                asRep.Send(batch[0], batch[0].Length, victimAddress);
                asThree.Send(batch[1], batch[1].Length, victimAddress);
                asRep.Send(batch[2], batch[2].Length, victimAddress);
            }

            Thread.Sleep(50);
            release.Set();

            // Whether the forged tokens take over the ring or make the real one stale (a re-formation), node 2 stays a
            // member of the ring of three and still delivers.
            Thread.Sleep(3_000);
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3 && n.Ring.RingId.Seq == nodes[0].Ring!.RingId.Seq), 20_000),
                "no ring of three: " + string.Join(", ", nodes.Select(n => $"{n.NodeId}: {n.Ring?.RingId.Seq} {n.Ring?.Members.Length}")));
            Assert.True(WaitFor(() =>
            {
                sender.TryMulticast(new byte[] { 0x01 });
                return WaitFor(() => Volatile.Read(ref after) > 0, 1_000);
            }, 20_000), "node 2 delivers nothing after the batch");
            Assert.False(nodes[1].IsFaulted, nodes[1].ProtocolFault?.Message);
            Assert.DoesNotContain(faults, f => f.Kind == NodeFaultKind.Protocol);
            Assert.Equal(0, nodes[1].DropCounters.SrpMisattributed + nodes[1].DropCounters.SrpUnlisted); // the forgeries were believed
        }
        finally
        {
            release.Set();
            foreach (TotemNode n in nodes)
            {
                n.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static byte[][] ForgedBatchRecipe(MembRingId ring, uint highDelivered, uint tokenSeq, uint forgedSender) =>
        ForgedBatch.Recipe(ring, highDelivered, tokenSeq, forgedSender);
}
