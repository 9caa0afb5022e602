using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;
using static FastTotem.Tests.Hosting.TotemNodeTests;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// Three live nodes on loopback: large frames (docs/robustness.md, finding C3), throwing handlers and Stop from a handler
/// (docs/fault-policy.md). Before the node machine, the first two ended the process from the loop thread.
/// </summary>
public class NodeFaultPolicyTests
{
    [Fact]
    public async Task ThreeNodesAtNetmtu20000Carry17KbCpgMessagesToEveryMember()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-mtu-").FullName;
        TotemNode[] nodes = StartRing(dir, netMtu: 20_000);
        var faults = new ConcurrentQueue<NodeFault>();
        foreach (TotemNode n in nodes)
        {
            n.Faulted += faults.Enqueue;
        }

        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            var received = new ConcurrentQueue<(uint Node, int Length, byte Tag)>[3];
            var groups = new ProcessGroup[3];
            for (int i = 0; i < 3; i++)
            {
                var log = received[i] = new ConcurrentQueue<(uint, int, byte)>();
                groups[i] = await nodes[i].JoinGroupAsync("mtu", (node, pid, data) => log.Enqueue((node, data.Length, data[^1]))).WaitAsync(TimeSpan.FromSeconds(15));
            }

            Assert.True(WaitFor(() => groups.All(g => g.Membership?.Members.Length == 3)), "group membership did not reach 3");
            const int Size = 17 * 1024;
            for (int m = 0; m < 10; m++)
            {
                for (int i = 0; i < 3; i++)
                {
                    byte[] message = new byte[Size];
                    message[^1] = (byte)(10 * i + m);
                    while (groups[i].TryMulticast(message) == SendResult.TryAgain)
                    {
                        Thread.Sleep(1);
                    }
                }
            }

            Assert.True(WaitFor(() => received.All(r => r.Count >= 30)), "not all delivered: " + string.Join(",", received.Select(r => r.Count)));
            var first = received[0].ToArray();
            Assert.Equal(30, first.Length);
            Assert.All(first, r => Assert.Equal(Size, r.Length));
            Assert.Equal(first, received[1].ToArray());
            Assert.Equal(first, received[2].ToArray());
            Assert.Empty(faults);
            Assert.All(nodes, n => Assert.False(n.IsFaulted));
        }
        finally
        {
            DisposeRing(nodes, dir);
        }
    }

    [Fact]
    public async Task AThrowingDeliveryHandlerIsReportedAndTheNodeCarriesOn()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-fault-").FullName;
        TotemNode[] nodes = StartRing(dir);
        var faults = new ConcurrentQueue<NodeFault>();
        nodes[0].Faulted += faults.Enqueue;
        Exception? stopFromHandler = null;
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            var groups = new ProcessGroup[3];
            int thrown = 0;
            int othersReceived = 0;
            TotemNode victim = nodes[0];
            DeliverHandler throwing = (node, pid, data) =>
            {
                if (data[0] == 1)
                {
                    // Stop (and Dispose) on the protocol thread would wait for the thread itself: refused.
                    try
                    {
                        victim.Stop();
                    }
                    catch (InvalidOperationException e)
                    {
                        stopFromHandler = e;
                    }
                }

                Interlocked.Increment(ref thrown);
                throw new FormatException($"a handler bug on message {data[0]}");
            };
            groups[0] = await nodes[0].JoinGroupAsync("faults", throwing).WaitAsync(TimeSpan.FromSeconds(15));
            groups[1] = await nodes[1].JoinGroupAsync("faults", (node, pid, data) => Interlocked.Increment(ref othersReceived)).WaitAsync(TimeSpan.FromSeconds(15));
            groups[2] = await nodes[2].JoinGroupAsync("faults", (node, pid, data) => { }).WaitAsync(TimeSpan.FromSeconds(15));
            Assert.True(WaitFor(() => groups.All(g => g.Membership?.Members.Length == 3)), "group membership did not reach 3");

            for (byte m = 1; m <= 20; m++)
            {
                while (groups[1].TryMulticast(new[] { m }) == SendResult.TryAgain)
                {
                    Thread.Sleep(1);
                }
            }

            Assert.True(WaitFor(() => Volatile.Read(ref thrown) >= 20 && Volatile.Read(ref othersReceived) >= 20),
                $"the throwing handler ran {thrown} times, the other node's {othersReceived}");
            Assert.Equal(20, victim.HandlerFaults);
            Assert.Equal(20, faults.Count);
            Assert.All(faults, f => Assert.Equal(NodeFaultKind.Handler, f.Kind));
            Assert.IsType<FormatException>(faults.First().Exception);
            Assert.Contains("Delivered", faults.First().Message);
            Assert.False(victim.IsFaulted);
            Assert.NotNull(stopFromHandler);
            Assert.Contains("protocol thread", stopFromHandler!.Message);

            // The node is still a member and still sends: its own message reaches the others.
            int before = Volatile.Read(ref othersReceived);
            Assert.Equal(SendResult.Ok, groups[0].TryMulticast(new byte[] { 99 }));
            Assert.True(WaitFor(() => Volatile.Read(ref othersReceived) > before), "the node with the throwing handler no longer sends");
            Assert.Equal(3, victim.Ring!.Members.Length);
        }
        finally
        {
            DisposeRing(nodes, dir);
        }
    }

    [Fact]
    public void AProtocolFaultMakesTheNodeLeaveCleanlyAndAFreshNodeRejoins()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-bug-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var members = Enumerable.Range(1, 3).Select(i => new TotemMember((uint)i, IPAddress.Parse($"127.0.0.{i}"))).ToArray();
        TotemNodeOptions Options(int i) => new()
        {
            NodeId = (uint)(i + 1), Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(dir, $"n{i + 1}"),
        };
        var nodes = new TotemNode[3];
        for (int i = 0; i < 3; i++)
        {
            nodes[i] = TotemNode.Create(Options(i));
            nodes[i].Start();
        }

        var faults = new ConcurrentQueue<NodeFault>();
        nodes[2].Faulted += faults.Enqueue;
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            ulong seqBefore = nodes[0].Ring!.RingId.Seq;

            var sw = System.Diagnostics.Stopwatch.StartNew();
            nodes[2].InjectFaultForTesting(new InvalidProgramException("a bug stand-in"));
            Assert.True(WaitFor(() => nodes[2].IsFaulted && !faults.IsEmpty), "the fault was not caught and reported");
            NodeFault fault = Assert.Single(faults);
            Assert.Equal(NodeFaultKind.Protocol, fault.Kind);
            Assert.IsType<InvalidProgramException>(fault.Exception);
            Assert.Same(fault, nodes[2].ProtocolFault);
            Assert.Contains("node 3", fault.Message);

            // It sent corosync's LEAVE: the others re-form well within the token timeout (1 s + consensus otherwise).
            Assert.True(WaitFor(() => nodes[0].Ring?.Members.Length == 2 && nodes[1].Ring?.Members.Length == 2, 5_000), "the others did not re-form");
            Assert.True(sw.ElapsedMilliseconds < 900, $"the others re-formed after {sw.ElapsedMilliseconds} ms: no LEAVE?");

            // What `fasttotem run` does: dispose it, start a fresh node with the same settings and state_dir.
            nodes[2].Dispose();
            nodes[2] = TotemNode.Create(Options(2));
            nodes[2].Start();
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "the fresh node did not rejoin");
            Assert.True(nodes[2].Ring!.RingId.Seq > seqBefore);
            Assert.False(nodes[2].IsFaulted);
        }
        finally
        {
            DisposeRing(nodes, dir);
        }
    }
}
