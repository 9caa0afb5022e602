using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;
using FastTotem.Transport;

namespace FastTotem.Tests.Hosting;

/// <summary>Embedding on a live one-node ring over loopback: pinning, loop info, leases, back-pressure, no allocation.</summary>
public class EmbeddingTests
{
    private static TotemNode StartSingle(string dir, int? pinCpu = null, bool busyPoll = false, bool schedRr = false)
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        TotemNode node = TotemNode.Create(new TotemNodeOptions
        {
            NodeId = 1,
            Members = new[] { new TotemMember(1, IPAddress.Loopback) },
            Port = port,
            TokenMs = 1000,
            StateDir = dir,
            PinCpu = pinCpu,
            BusyPoll = busyPoll,
            SchedRr = schedRr,
        });
        node.Start();
        return node;
    }

    /// <summary>A started one-node ring in its own state directory; disposing stops the node and removes the directory.</summary>
    private sealed class SingleNode : IDisposable
    {
        private SingleNode(string dir, TotemNode node)
        {
            Dir = dir;
            Node = node;
        }

        public string Dir { get; }

        public TotemNode Node { get; }

        public static SingleNode Start(int? pinCpu = null, bool busyPoll = false, bool schedRr = false)
        {
            string dir = Directory.CreateTempSubdirectory("fasttotem-embed-").FullName;
            try
            {
                return new SingleNode(dir, StartSingle(dir, pinCpu, busyPoll, schedRr));
            }
            catch
            {
                Directory.Delete(dir, recursive: true);
                throw;
            }
        }

        public void Dispose()
        {
            Node.Dispose();
            Directory.Delete(Dir, recursive: true);
        }
    }

    private static bool WaitFor(Func<bool> condition, int ms = 15_000)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < ms)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(5);
        }

        return condition();
    }

    [Fact]
    public void PinnedLoopReportsItsThreadAndCpu()
    {
        int cpu = Environment.ProcessorCount - 1;
        using SingleNode single = SingleNode.Start(pinCpu: cpu);
        TotemNode node = single.Node;
        Assert.True(WaitFor(() => node.LoopThreadInfo.Iterations > 2), "the loop did not turn");
        LoopThreadInfo info = node.LoopThreadInfo;
        Assert.True(info.Tid > 0 && info.Tid != Environment.ProcessId, $"tid {info.Tid}");
        Assert.True(info.Pinned, $"pin failed: errno {info.PinErrno}");
        Assert.Equal(cpu, info.PinCpu);
        Assert.Equal(cpu, info.Cpu);
        Assert.False(info.BusyPoll);
        Assert.Equal(0, info.CpuMigrations);

        // The kernel agrees: the thread's affinity list is exactly that CPU.
        string status = File.ReadAllText($"/proc/{Environment.ProcessId}/task/{info.Tid}/status");
        string allowed = status.Split('\n').First(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        Assert.Equal(cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), allowed.Split(':')[1].Trim());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SchedRrPutsTheLoopThreadUnderRealTimeSchedulingWhenPrivileged(bool schedRr)
    {
        using SingleNode single = SingleNode.Start(schedRr: schedRr);
        TotemNode node = single.Node;
        Assert.True(WaitFor(() => node.LoopThreadInfo.Iterations > 2), "the loop did not turn");
        LoopThreadInfo info = node.LoopThreadInfo;
        // /proc/<pid>/task/<tid>/stat field 41 is the policy: 2 = SCHED_RR; field 40 the rt_priority.
        string stat = File.ReadAllText($"/proc/{Environment.ProcessId}/task/{info.Tid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        int policy = int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture);
        int priority = int.Parse(fields[40 - 3], System.Globalization.CultureInfo.InvariantCulture);
        bool privileged = Environment.UserName == "root";
        Assert.Equal(schedRr && privileged, info.RealTime);
        Assert.Equal(schedRr && privileged ? (2, 99) : (0, 0), (policy, priority));
    }

    [Fact]
    public void UnpinnedLoopIsNotPinnedAndBadCpusAreRefused()
    {
        using SingleNode single = SingleNode.Start();
        TotemNode node = single.Node;
        Assert.True(WaitFor(() => node.LoopThreadInfo.Cpu >= 0), "no CPU sample");
        Assert.False(node.LoopThreadInfo.Pinned);
        Assert.Equal(-1, node.LoopThreadInfo.PinCpu);
        Assert.Throws<ArgumentOutOfRangeException>(() => StartSingle(single.Dir, pinCpu: Environment.ProcessorCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => StartSingle(single.Dir, pinCpu: -2));
    }

    [Fact]
    public async Task AFullSlabHoldsDeliveriesBackAndLosesNone()
    {
        using SingleNode single = SingleNode.Start();
        TotemNode node = single.Node;
        await node.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(15));
        // 4 KiB holds 64 deliveries of 40 bytes (24-byte header): 1,000 must stall, and arrive whole and in order.
        ProcessGroup g = await node.JoinGroupAsync("embed-bp", new ProcessGroupOptions { Delivery = DeliveryMode.Queue, DeliveryQueueBytes = 4096 })
            .WaitAsync(TimeSpan.FromSeconds(15));
        var message = new byte[40];
        for (int i = 0; i < 1000; i++)
        {
            BitConverter.TryWriteBytes(message, i);
            Assert.Equal(SendResult.Ok, await g.MulticastAsync(message));
        }

        Assert.True(WaitFor(() => g.DeliveryStalls > 0 && g.DeliveryBytesInUse == 4096), $"stalls {g.DeliveryStalls}, in use {g.DeliveryBytesInUse}");

        // Hold 10 leases, take and release everything else that is there: the slab is a ring, so memory after
        // a held lease is not reused until it is released, and the held data stays intact.
        var held = new DeliveryLease[10];
        for (int i = 0; i < held.Length; i++)
        {
            Assert.True(g.TryTakeDelivery(out held[i]));
        }

        int next = held.Length;
        int spins = 0;
        while (next < 1000 && spins < 1_000_000)
        {
            if (g.TryTakeDelivery(out DeliveryLease lease))
            {
                Assert.Equal(next, BitConverter.ToInt32(lease.Data));
                Assert.Equal(40, lease.Length);
                Assert.Equal(1u, lease.NodeId);
                Assert.Equal(DeliveryRelease.Ok, lease.Release());
                Assert.Equal(DeliveryRelease.AlreadyReleased, lease.Release());
                next++;
            }
            else
            {
                if (spins++ == 1000)
                {
                    // The slab is stuck behind the held leases: check them, then let them go (out of order).
                    Assert.Equal(4096 / 64, next);
                    for (int i = held.Length - 1; i >= 0; i--)
                    {
                        Assert.Equal(i, BitConverter.ToInt32(held[i].Data));
                        Assert.Equal(DeliveryRelease.Ok, held[i].Release());
                    }
                }

                Thread.Yield();
            }
        }

        Assert.Equal(1000, next);
        Assert.True(g.DeliveryStalls > 0);
        Assert.Equal(0, g.DeliveryOverruns);
        Assert.Equal(0, node.EventOverflowDrops);
        Assert.Equal(DeliveryRelease.NotALease, default(DeliveryLease).Release());
    }

    /// <summary>
    /// What README and fasttotem.h promise about a stalled consumer, both halves: the node's other groups wait behind
    /// it (one CPG event queue per node), and a stall longer than that queue holds loses events, counted.
    /// </summary>
    [Fact]
    public async Task AStalledGroupHoldsBackTheNodesOtherGroupsAndPastCpgsQueueLosesCountedEvents()
    {
        using SingleNode single = SingleNode.Start();
        TotemNode node = single.Node;
        await node.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(15));
        ProcessGroup stalled = await node.JoinGroupAsync("embed-stalled", new ProcessGroupOptions { Delivery = DeliveryMode.Queue, DeliveryQueueBytes = 4096 })
            .WaitAsync(TimeSpan.FromSeconds(15));
        ProcessGroup other = await node.JoinGroupAsync("embed-other", new ProcessGroupOptions { Delivery = DeliveryMode.Queue, DeliveryQueueBytes = 1 << 20 })
            .WaitAsync(TimeSpan.FromSeconds(15));
        var message = new byte[40];
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(SendResult.Ok, await stalled.MulticastAsync(message));
        }

        Assert.True(WaitFor(() => stalled.DeliveryStalls > 0), "the small slab never filled");
        Assert.Equal(SendResult.Ok, await other.MulticastAsync("behind"u8.ToArray()));
        Thread.Sleep(300);
        Assert.False(other.TryTakeDelivery(out _), "the other group's delivery passed the stalled one");

        int taken = 0;
        Assert.True(WaitFor(() =>
        {
            while (stalled.TryTakeDelivery(out DeliveryLease lease))
            {
                lease.Release();
                taken++;
            }

            return taken == 100;
        }), $"took {taken} of 100");
        DeliveryLease behind = default;
        Assert.True(WaitFor(() => other.TryTakeDelivery(out behind)), "the other group's delivery never came");
        Assert.Equal("behind"u8.ToArray(), behind.Data.ToArray());
        behind.Release();
        Assert.Equal(0, node.EventOverflowDrops);

        // Now stall for longer than CPG's event queue (8,192 events) holds.
        for (int i = 0; i < 9_000; i++)
        {
            Assert.Equal(SendResult.Ok, await stalled.MulticastAsync(message));
        }

        Assert.True(WaitFor(() => node.EventOverflowDrops > 0), $"no loss counted after 9,000 deliveries to a stalled group ({stalled.DeliveryStalls} stalls)");
    }

    [Fact]
    public async Task WaitForDeliveryWakesOnADeliveryAndTimesOutOtherwise()
    {
        using SingleNode single = SingleNode.Start();
        TotemNode node = single.Node;
        await node.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(15));
        ProcessGroup g = await node.JoinGroupAsync("embed-wait", new ProcessGroupOptions { Delivery = DeliveryMode.Queue })
            .WaitAsync(TimeSpan.FromSeconds(15));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(g.WaitForDelivery(50_000_000));
        Assert.InRange(clock.ElapsedMilliseconds, 40, 5000); // it slept, it did not spin out at once

        // A sender on another thread, 100 ms from now: the sleeper wakes for it well before its 10 s timeout.
        var sender = Task.Run(() =>
        {
            Thread.Sleep(100);
            return g.TryMulticast(new byte[] { 42 });
        });
        clock.Restart();
        Assert.True(g.WaitForDelivery(10_000_000_000));
        Assert.True(clock.ElapsedMilliseconds < 5000, $"woke after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(SendResult.Ok, await sender);
        Assert.True(g.TryTakeDelivery(out DeliveryLease lease));
        Assert.Equal(42, lease.Data[0]);
        Assert.Equal(DeliveryRelease.Ok, lease.Release());

        ProcessGroup callbackGroup = StartSingleGroupInCallbackMode(node);
        Assert.Throws<InvalidOperationException>(() => callbackGroup.WaitForDelivery(1)); // only queue mode has a slab
        node.Dispose();
        Assert.False(g.WaitForDelivery(1_000_000)); // after the node is gone: a result, not a crash
    }

    private static ProcessGroup StartSingleGroupInCallbackMode(TotemNode node) =>
        node.JoinGroupAsync("embed-cb", (node, pid, data) => { }).WaitAsync(TimeSpan.FromSeconds(15)).GetAwaiter().GetResult();

    [Fact]
    public async Task SteadyStateHostPathsAllocateNothing()
    {
        using SingleNode single = SingleNode.Start();
        TotemNode node = single.Node;
        await node.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(15));
        ProcessGroup g = await node.JoinGroupAsync("embed-alloc", new ProcessGroupOptions { Delivery = DeliveryMode.Queue, DeliveryQueueBytes = 1 << 20 })
            .WaitAsync(TimeSpan.FromSeconds(15));
        ProcessGroup c = await node.JoinGroupAsync("embed-alloc-cb", new ProcessGroupOptions { Delivery = DeliveryMode.Queue, DeliveryQueueBytes = 1 << 20 })
            .WaitAsync(TimeSpan.FromSeconds(15));
        var state = new RoundTrip(g, c);
        long gen0 = GC.CollectionCount(0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Run(() =>
        {
            // Warm up, then three windows of 300 round trips (submit, take, read, release, and the callback
            // dispatch on a second group); one window must allocate exactly 0 bytes on this host thread.
            for (int i = 0; i < 200; i++)
            {
                state.Once();
            }

            var measured = new long[3];
            for (int window = 0; window < 3; window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 300; i++)
                {
                    state.Once();
                }

                measured[window] = GC.GetAllocatedBytesForCurrentThread() - before;
                if (measured[window] == 0)
                {
                    return;
                }
            }

            Assert.Fail($"host thread allocated {string.Join(", ", measured)} bytes over three windows of 300 round trips");
        }).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, state.Errors);
        Assert.True(state.Received >= 500, $"received {state.Received}");
        Console.WriteLine($"{state.Received} round trips in {clock.ElapsedMilliseconds} ms; gen0 collections: {GC.CollectionCount(0) - gen0}");
    }

    /// <summary>One round trip through the ring with preallocated state: what a latency-sensitive host does.</summary>
    private sealed class RoundTrip(ProcessGroup leased, ProcessGroup dispatched)
    {
        private readonly byte[] _message = new byte[64];
        private readonly DeliverHandler _handler = (node, pid, data) => { };
        private int _seq;

        public int Received { get; private set; }

        public int Errors { get; private set; }

        public void Once()
        {
            _seq++;
            BitConverter.TryWriteBytes(_message, _seq);
            while (leased.TryMulticast(_message) != SendResult.Ok)
            {
                Thread.SpinWait(10);
            }

            while (dispatched.TryMulticast(_message) != SendResult.Ok)
            {
                Thread.SpinWait(10);
            }

            DeliveryLease lease;
            while (!leased.TryTakeDelivery(out lease))
            {
                leased.WaitForDelivery(1_000_000_000); // sleeps on the doorbell; must allocate nothing either
            }

            if (BitConverter.ToInt32(lease.Data) != _seq || lease.Release() != DeliveryRelease.Ok)
            {
                Errors++;
            }

            while (!dispatched.TryReceive(_handler))
            {
                Thread.SpinWait(10);
            }

            Received++;
        }
    }
}
