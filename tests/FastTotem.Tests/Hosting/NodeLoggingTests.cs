using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;
using Microsoft.Extensions.Logging;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// ILogger on live loopback nodes: the control plane (rings, gather reasons, sync, drops) is logged, from a thread that
/// is not the protocol thread, and the message path allocates nothing with a logger attached.
/// </summary>
public class NodeLoggingTests
{
    private static int FreePort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static TotemNode Create(uint nodeId, TotemMember[] members, int port, string dir, ILoggerFactory? logs, TimeSpan? dropLogInterval = null) =>
        TotemNode.Create(new TotemNodeOptions
        {
            NodeId = nodeId,
            Members = members,
            Port = port,
            TokenMs = 1000,
            StateDir = Path.Combine(dir, $"n{nodeId}"),
            LoggerFactory = logs,
            DropLogInterval = dropLogInterval,
        });

    [Fact]
    public async Task JoinAndLeaveAreLoggedOffTheProtocolThread()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-log-").FullName;
        int port = FreePort();
        var members = new[] { new TotemMember(1, IPAddress.Parse("127.0.0.1")), new TotemMember(2, IPAddress.Parse("127.0.0.2")) };
        var logs = new CaptureLoggerFactory();
        TotemNode one = Create(1, members, port, dir, logs);
        TotemNode? two = null;
        try
        {
            one.Start();
            await one.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(15));
            two = Create(2, members, port, dir, null);
            two.Start();
            Assert.True(TotemNodeTests.WaitFor(() => logs.Named("RingFormed").Any(l => l.Message.Contains("members [1, 2]"))), logs.Dump());
            Assert.True(TotemNodeTests.WaitFor(() => logs.Named("SyncCompleted").Count() >= 2), logs.Dump());

            two.Dispose(); // sends LEAVE: node 1 re-forms alone
            two = null;
            Assert.True(TotemNodeTests.WaitFor(() => logs.Named("RingFormed").Any(l => l.Message.Contains("members [1]; joined [], left [2]"))), logs.Dump());
        }
        finally
        {
            two?.Dispose();
            one.Dispose();
            Directory.Delete(dir, recursive: true);
        }

        string all = logs.Dump();
        Assert.Contains("node 1 started (udpu)", all);
        Assert.Contains(logs.Lines, l => l.EventId.Name == "RingFormed" && l.Message.Contains("joined [2], left []"));
        Assert.Contains(logs.Lines, l => l.EventId.Name == "GatherEntered" && l.Level == LogLevel.Information);
        Assert.Contains(logs.Lines, l => l.EventId.Name == "SyncStarted");
        Assert.Contains(logs.Lines, l => l.EventId.Name == "NodeStopped");
        Assert.All(logs.Lines, l => Assert.Equal("FastTotem.TotemNode", l.Category));

        // The protocol thread is named fasttotem-<nodeid>: no line may have been written there.
        Assert.DoesNotContain(logs.Lines, l => l.ThreadName == "fasttotem-1");
        Assert.Equal("NodeStopped", logs.Lines.Last().EventId.Name);
    }

    [Fact]
    public async Task DroppedPacketsAreSummarisedOncePerInterval()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-log-").FullName;
        int port = FreePort();
        var members = new[] { new TotemMember(1, IPAddress.Loopback) };
        var logs = new CaptureLoggerFactory();
        using TotemNode node = Create(1, members, port, dir, logs, TimeSpan.FromMilliseconds(300));
        try
        {
            node.Start();
            await node.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(15));
            using (var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                for (int i = 0; i < 5; i++)
                {
                    sender.Send(new byte[] { 1, 2, 3 }, 3, new IPEndPoint(IPAddress.Loopback, port)); // too short for any header
                }
            }

            Assert.True(TotemNodeTests.WaitFor(() => logs.Named("Drops").Any()), logs.Dump());
            Thread.Sleep(1000); // three more intervals with nothing dropped: no more lines
            CapturedLog[] drops = logs.Named("Drops").ToArray();
            Assert.Single(drops);
            Assert.Equal(LogLevel.Warning, drops[0].Level);
            Console.WriteLine(drops[0].Message);
            Assert.Matches("node 1: 5 packets or events dropped in the last 1 s: (transport|srp malformed) 5", drops[0].Message);
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task MessagePathAllocatesNothingWithALoggerAttached()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-log-").FullName;
        var logs = new CaptureLoggerFactory();
        using TotemNode node = Create(1, new[] { new TotemMember(1, IPAddress.Loopback) }, FreePort(), dir, logs);
        try
        {
            node.Start();
            await node.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(15));

            // The delivery handler runs on the protocol thread: it reads that thread's allocation counter at window
            // edges, so the loop's whole message path (receive, order, deliver, token) is measured, not just the host.
            const int Window = 2000;
            var loopAllocated = new long[8];
            int delivered = 0;
            long windowStart = 0;
            int windows = 0;
            DeliverHandler onDeliver = (n, pid, data) =>
            {
                delivered++;
                if (delivered % Window == 0 && windows < loopAllocated.Length)
                {
                    long now = GC.GetAllocatedBytesForCurrentThread();
                    if (delivered > Window)
                    {
                        loopAllocated[windows++] = now - windowStart;
                    }

                    windowStart = now;
                }
            };
            ProcessGroup group = await node.JoinGroupAsync("log-alloc", onDeliver).WaitAsync(TimeSpan.FromSeconds(15));
            // Lines are written by a pool thread, in order: once the sync's completion is written, the start-up lines
            // before it are too, and none may follow from the message path (seen on a loaded run: the count was read
            // before the ring's start-up lines arrived, and they were taken for per-message lines).
            Assert.True(TotemNodeTests.WaitFor(() => logs.Lines.Any(l => l.EventId.Name == "SyncCompleted"), 15_000), "no SyncCompleted line");
            int linesBefore = logs.Lines.Count;
            byte[] message = new byte[64];
            long hostAllocated = await Task.Run(() =>
            {
                long best = long.MaxValue;
                for (int round = 0; round < loopAllocated.Length + 1; round++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < Window; i++)
                    {
                        while (group.TryMulticast(message) != SendResult.Ok)
                        {
                            Thread.SpinWait(20);
                        }
                    }

                    best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
                }

                return best;
            }).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(TotemNodeTests.WaitFor(() => Volatile.Read(ref windows) >= 3, 30_000), $"only {windows} windows delivered");
            long[] measured = loopAllocated.Take(Volatile.Read(ref windows)).ToArray();
            Assert.True(measured.Contains(0), $"the protocol thread allocated {string.Join(", ", measured)} bytes per {Window} deliveries with a logger attached");
            Assert.Equal(0, hostAllocated);
            Assert.True(linesBefore == logs.Lines.Count, $"lines logged during the message run (nothing may be logged per message):\n{logs.Dump()}");
            Assert.Contains(logs.Lines, l => l.EventId.Name == "NodeStarted");
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
