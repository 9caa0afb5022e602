using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;
using FastTotem.Config;
using static FastTotem.Tests.Hosting.TotemNodeTests;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// The public API's promises (issue 13, "a public API without traps"), each on live nodes over loopback: a delivery
/// sent the instant a join completes arrives; a delivery without a consumer is counted and reported; a cancelled or
/// timed-out join is withdrawn; options map straight to settings; MulticastAsync is woken, not polling.
/// </summary>
public class PublicApiTests
{
    /// <summary>Generous: on a loaded 2-core machine a ring can re-form a few times before a join is confirmed.</summary>
    private static readonly TimeSpan Join = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A member on node 2 sends "hello" from its membership handler the moment it sees node 1's member join, so the
    /// message is the very next event of the group after node 1's join in agreed order. With the handler set after
    /// JoinGroupAsync returned (the old API), the delivery raced the caller's continuation and was dropped silently.
    /// </summary>
    [Fact]
    public async Task ADeliverySentTheInstantAJoinCompletesArrives()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-api-").FullName;
        TotemNode[] nodes = StartRing(dir);
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            for (int round = 0; round < 3; round++)
            {
                string name = $"instant-{round}";
                ProcessGroup? greeter = null;
                var greeted = new ConcurrentQueue<uint>();
                var options = new ProcessGroupOptions
                {
                    Pid = 200,
                    MembershipChanged = m =>
                    {
                        foreach (GroupMember joined in m.Joined)
                        {
                            if (joined.NodeId == 1 && greeter != null)
                            {
                                Assert.Equal(SendResult.Ok, greeter.TryMulticast("hello"u8));
                                greeted.Enqueue(joined.Pid);
                            }
                        }
                    },
                };
                greeter = await nodes[1].JoinGroupAsync(name, (_, _, _) => { }, options).WaitAsync(Join);

                var received = new ConcurrentQueue<string>();
                ProcessGroup joiner = await nodes[0].JoinGroupAsync(
                    name,
                    (node, pid, data) => received.Enqueue($"{node}:{pid}:{System.Text.Encoding.ASCII.GetString(data)}"),
                    new ProcessGroupOptions { Pid = 100 }).WaitAsync(Join);

                Assert.True(WaitFor(() => !received.IsEmpty, 10_000), $"round {round}: the greeting sent at the join never arrived");
                Assert.Equal("2:200:hello", received.First());
                Assert.Equal(new uint[] { 100 }, greeted.ToArray());
                Assert.Equal(0, joiner.UnconsumedDeliveries);
                joiner.Leave();
                greeter.Leave();
            }

            Assert.All(nodes, n => Assert.Equal(0, n.DropCounters.UnconsumedDeliveries));
        }
        finally
        {
            DisposeRing(nodes, dir);
        }
    }

    /// <summary>A protocol-thread group without a handler: every delivery counted, the first reported, nothing silent.</summary>
    [Fact]
    public async Task ADeliveryWithoutAConsumerIsCountedAndReported()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-api-").FullName;
        TotemNode node = StartSingle(dir);
        var faults = new ConcurrentQueue<NodeFault>();
        node.Faulted += faults.Enqueue;
        try
        {
            await node.WaitForSyncAsync(new CancellationTokenSource(Join).Token);
            ProcessGroup g = await node.JoinGroupAsync("nobody-listens").WaitAsync(Join);
            for (byte m = 0; m < 5; m++)
            {
                Assert.Equal(SendResult.Ok, await g.MulticastAsync(new[] { m }));
            }

            Assert.True(WaitFor(() => g.UnconsumedDeliveries == 5), $"counted {g.UnconsumedDeliveries} of 5");
            Assert.Equal(5, node.DropCounters.UnconsumedDeliveries);
            NodeFault fault = Assert.Single(faults);
            Assert.Equal(NodeFaultKind.UnconsumedDelivery, fault.Kind);
            Assert.Contains("nobody-listens", fault.Message);
            Assert.False(node.IsFaulted);

            // A handler set later takes the deliveries from then on; the count stays.
            int seen = 0;
            g.Delivered = (_, _, _) => Interlocked.Increment(ref seen);
            Assert.Equal(SendResult.Ok, await g.MulticastAsync(new byte[] { 9 }));
            Assert.True(WaitFor(() => Volatile.Read(ref seen) == 1), "the late handler got nothing");
            Assert.Equal(5, g.UnconsumedDeliveries);
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Joins given up at different moments (before anything was sent, a few milliseconds in, by a timeout) never leave
    /// a member behind: after a sentinel join from the same node has been seen everywhere and the ring had time to
    /// settle, no observer on any node lists a withdrawn member, and every withdrawn member an observer saw join it
    /// also saw leave. Without the withdrawal the member joined later with no handle (a ghost).
    /// </summary>
    [Fact]
    public async Task ACancelledOrTimedOutJoinNeverStaysInAnyView()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-api-").FullName;
        TotemNode[] nodes = StartRing(dir);
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            var histories = new ConcurrentQueue<GroupMembership>[3];
            var observers = new ProcessGroup[3];
            var holding = new ManualResetEventSlim[3];
            var releasing = new ManualResetEventSlim[3];
            for (int i = 0; i < 3; i++)
            {
                var history = histories[i] = new ConcurrentQueue<GroupMembership>();
                var held = holding[i] = new ManualResetEventSlim();
                var release = releasing[i] = new ManualResetEventSlim();
                uint self = (uint)(i + 1);
                observers[i] = await nodes[i].JoinGroupAsync(
                    "ghost",
                    (_, _, data) =>
                    {
                        if (data.Length == 2 && data[0] == 0xEE && data[1] == self)
                        {
                            held.Set();
                            release.Wait(3000); // holds this node's protocol thread until the test lets go
                        }
                    },
                    new ProcessGroupOptions { Pid = 900u + (uint)i, MembershipChanged = history.Enqueue }).WaitAsync(Join);
            }

            void Hold(int node)
            {
                holding[node].Reset();
                releasing[node].Reset();
                Assert.Equal(SendResult.Ok, observers[0].TryMulticast(new byte[] { 0xEE, (byte)(node + 1) }));
                Assert.True(holding[node].Wait(Join), $"node {node + 1} was not held");
            }

            // Pre-cancelled: refused at once, nothing sent.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                nodes[0].JoinGroupAsync("ghost", (_, _, _) => { }, new ProcessGroupOptions { Pid = 1000 }, new CancellationToken(canceled: true)));
            var withdrawn = new List<uint> { 1000 };

            // Given up while the joining node's protocol thread is busy: the join is still in its queue, never sent.
            Hold(0);
            using (var cts = new CancellationTokenSource())
            {
                Task<ProcessGroup> join = nodes[0].JoinGroupAsync("ghost", (_, _, _) => { }, new ProcessGroupOptions { Pid = 1001 }, cts.Token);
                cts.Cancel();
                releasing[0].Set();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => join.WaitAsync(Join));
                withdrawn.Add(1001);
            }

            // Timed out while another node holds up the ring: node 1 handed the join to CPG (it may be on the wire),
            // but it cannot be confirmed before node 2 carries on, so the withdrawal is a leave behind the join.
            Hold(1);
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150)))
            {
                Task<ProcessGroup> join = nodes[0].JoinGroupAsync("ghost", (_, _, _) => { }, new ProcessGroupOptions { Pid = 1002 }, cts.Token);
                Exception? outcome = await Record.ExceptionAsync(() => join.WaitAsync(Join));
                releasing[1].Set();
                Assert.IsAssignableFrom<OperationCanceledException>(outcome);
                withdrawn.Add(1002);
            }

            // Given up at once, by a short timeout, or a little later on an idle ring: whichever wins the race against
            // the confirmation, no member may stay behind (a join confirmed first belongs to its caller, who leaves).
            for (int k = 0; k < 9; k++)
            {
                uint pid = 1003u + (uint)k;
                using var cts = new CancellationTokenSource();
                Task<ProcessGroup> join = nodes[k % 3].JoinGroupAsync("ghost", (_, _, _) => { }, new ProcessGroupOptions { Pid = pid }, cts.Token);
                switch (k % 3)
                {
                    case 0:
                        cts.Cancel();
                        break;
                    case 1:
                        cts.CancelAfter(k / 3); // a timeout of 0 to 2 ms
                        break;
                    default:
                        Thread.SpinWait(1000 << (k / 3));
                        cts.Cancel();
                        break;
                }

                try
                {
                    ProcessGroup won = await join.WaitAsync(Join);
                    won.Leave();
                }
                catch (OperationCanceledException)
                {
                    withdrawn.Add(pid);
                }
            }

            // A sentinel from each node after the attempts: once every observer has seen all three, anything the
            // attempts sent before them (joins, withdrawing leaves) has been delivered everywhere.
            var sentinels = new ProcessGroup[3];
            for (int i = 0; i < 3; i++)
            {
                sentinels[i] = await nodes[i].JoinGroupAsync("ghost", (_, _, _) => { }, new ProcessGroupOptions { Pid = 950u + (uint)i }).WaitAsync(Join);
            }

            Assert.True(WaitFor(() => observers.All(o => o.Membership!.Members.Count(m => m.Pid >= 950 && m.Pid < 960) == 3)), "sentinels not seen everywhere");
            Thread.Sleep(1000); // let anything still on its way arrive
            for (int i = 0; i < 3; i++)
            {
                GroupMember[] final = observers[i].Membership!.Members;
                Assert.DoesNotContain(final, m => withdrawn.Contains(m.Pid));
                foreach (uint pid in withdrawn)
                {
                    int joins = histories[i].Sum(h => h.Joined.Count(m => m.Pid == pid));
                    int leaves = histories[i].Sum(h => h.Left.Count(m => m.Pid == pid));
                    Assert.True(joins == leaves, $"observer {i + 1}: withdrawn pid {pid} joined {joins} times, left {leaves}");
                }
            }

            Assert.Equal(6, observers[0].Membership!.Members.Length); // 3 observers + 3 sentinels, no ghosts
        }
        finally
        {
            DisposeRing(nodes, dir);
        }
    }

    /// <summary>
    /// Options become settings without corosync.conf text: a cluster name or path with syntax characters stays a
    /// value (the old round trip interpolated them into the text unescaped), and bad values name the option.
    /// </summary>
    [Fact]
    public void TypedOptionsMapStraightToSettings()
    {
        var members = new[] { new TotemMember(1, IPAddress.Parse("10.0.0.1")), new TotemMember(2, IPAddress.Parse("10.0.0.2"), 3) };
        CorosyncConfig c = TotemNodeOptionsMapping.ToConfig(new TotemNodeOptions
        {
            NodeId = 2,
            Members = members,
            Transport = TotemTransport.Udp,
            ClusterName = "a}\nnodelist {\n\tnode { nodeid: 9",
            StateDir = "/tmp/x # not a comment }",
            Port = 6000,
            TokenMs = 1234,
            NetMtu = 9000,
            SchedRr = true,
        });
        Assert.Equal("a}\nnodelist {\n\tnode { nodeid: 9", c.ClusterName);
        Assert.Equal("/tmp/x # not a comment }", c.StateDir);
        Assert.Equal(TotemTransport.Udp, c.Transport);
        Assert.Equal(new uint[] { 1, 2 }, c.NodeIds());
        Assert.Equal(3u, c.Nodes[1].QuorumVotes);
        Assert.Equal((6000, 1234, 9000, true), (c.McastPort, c.TokenMs, c.NetMtu, c.SchedRr));
        Assert.Equal(CorosyncConfig.DefaultMcastAddress(c.ClusterName, TotemIpVersion.Ipv4), c.McastAddress);

        Assert.Throws<ArgumentException>(() => TotemNodeOptionsMapping.ToConfig(new TotemNodeOptions { NodeId = 3, Members = members }));
        Assert.Throws<ArgumentException>(() => TotemNodeOptionsMapping.ToConfig(new TotemNodeOptions { NodeId = 1, Members = members, ClusterName = "" }));
    }

    /// <summary>Every option out of range is refused by <see cref="TotemNode.Create"/> with an ArgumentException.</summary>
    [Theory]
    [InlineData("port")]
    [InlineData("token")]
    [InlineData("netmtu")]
    [InlineData("duplicate")]
    [InlineData("family")]
    [InlineData("knet")]
    [InlineData("mcast-on-udpu")]
    [InlineData("empty")]
    public void BadOptionsAreRefusedByName(string what)
    {
        var v4 = new[] { new TotemMember(1, IPAddress.Parse("10.0.0.1")), new TotemMember(2, IPAddress.Parse("10.0.0.2")) };
        TotemNodeOptions options = what switch
        {
            "port" => new() { NodeId = 1, Members = v4, Port = 1 },
            "token" => new() { NodeId = 1, Members = v4, TokenMs = 10 },
            "netmtu" => new() { NodeId = 1, Members = v4, NetMtu = 100 },
            "duplicate" => new() { NodeId = 1, Members = [v4[0], v4[0]] },
            "family" => new() { NodeId = 1, Members = [v4[0], new TotemMember(2, IPAddress.IPv6Loopback)] },
            "knet" => new() { NodeId = 1, Members = v4, Transport = TotemTransport.Knet },
            "mcast-on-udpu" => new() { NodeId = 1, Members = v4, McastAddress = IPAddress.Parse("239.1.1.1") },
            _ => new() { NodeId = 1, Members = [] },
        };
        Assert.ThrowsAny<ArgumentException>(() => TotemNode.Create(options));
    }

    /// <summary>
    /// The loop thread is held in a handler while the 2-slot send queue is full: MulticastAsync waits, and completes
    /// once the loop frees a slot, after one wake-up per wait (the old code polled every 50 ms).
    /// </summary>
    [Fact]
    public async Task MulticastAsyncIsWokenByTheLoopNotByPolling()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-api-").FullName;
        TotemNode node = StartSingle(dir);
        try
        {
            await node.WaitForSyncAsync().WaitAsync(Join);
            using var holding = new ManualResetEventSlim();
            ProcessGroup g = await node.JoinGroupAsync(
                "async-send",
                (_, _, data) =>
                {
                    if (data[0] == 0xFF)
                    {
                        holding.Set();
                        Thread.Sleep(800); // holds the protocol thread: nothing drains the send queue meanwhile
                    }
                },
                new ProcessGroupOptions { SendQueueCapacity = 2, MaxMessageSize = 16 }).WaitAsync(Join);
            Assert.Equal(SendResult.Ok, g.TryMulticast(new byte[] { 0xFF }));
            Assert.True(holding.Wait(Join), "the holding handler never ran");
            while (g.TryMulticast(new byte[] { 1 }) == SendResult.Ok)
            {
            }

            ValueTask<SendResult> pending = g.MulticastAsync(new byte[] { 2 });
            Task<SendResult> task = pending.AsTask();
            await Task.Delay(300);
            Assert.False(task.IsCompleted, "MulticastAsync returned while the queue was full");
            Assert.Equal(SendResult.Ok, await task.WaitAsync(Join));
            Assert.InRange(g.SendWaits, 1, 2);

            // The group closes under a waiting sender: it returns Closed rather than waiting for ever.
            holding.Reset();
            Assert.True(WaitFor(() => g.TryMulticast(new byte[] { 0xFF }) == SendResult.Ok), "the queue never drained");
            Assert.True(holding.Wait(Join), "the holding handler never ran again");
            while (g.TryMulticast(new byte[] { 1 }) == SendResult.Ok)
            {
            }

            Task<SendResult> closing = g.MulticastAsync(new byte[] { 3 }).AsTask();
            g.Leave();
            Assert.Equal(SendResult.Closed, await closing.WaitAsync(TimeSpan.FromMilliseconds(500)));
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task WaitForSyncAsyncHonoursItsCancellationToken()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-api-").FullName;
        TotemNode node = TotemNode.Create(new TotemNodeOptions
        {
            NodeId = 1,
            Members = [new TotemMember(1, IPAddress.Loopback)],
            Port = FreePort(),
            StateDir = dir,
        });
        try
        {
            // Never started, so it never syncs: only the token can end the wait.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => node.WaitForSyncAsync(new CancellationTokenSource(100).Token));
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A lease in a using block is released at its end; a second release says so.</summary>
    [Fact]
    public async Task ADeliveryLeaseIsDisposable()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-api-").FullName;
        TotemNode node = StartSingle(dir);
        try
        {
            await node.WaitForSyncAsync().WaitAsync(Join);
            ProcessGroup g = await node.JoinGroupAsync("lease", new ProcessGroupOptions { Delivery = DeliveryMode.Queue }).WaitAsync(Join);
            Assert.Equal(SendResult.Ok, await g.MulticastAsync(new byte[] { 7 }));
            Assert.True(g.WaitForDelivery(5_000_000_000), "nothing delivered");
            DeliveryLease copy;
            Assert.True(g.TryTakeDelivery(out DeliveryLease lease));
            using (lease)
            {
                Assert.Equal(7, lease.Data[0]);
                copy = lease;
                Assert.True(g.DeliveryBytesInUse > 0);
            }

            Assert.Equal(DeliveryRelease.AlreadyReleased, copy.Release());
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static TotemNode StartSingle(string dir)
    {
        TotemNode node = TotemNode.Create(new TotemNodeOptions
        {
            NodeId = 1,
            Members = [new TotemMember(1, IPAddress.Loopback)],
            Port = FreePort(),
            TokenMs = 1000,
            StateDir = dir,
        });
        node.Start();
        return node;
    }
}
