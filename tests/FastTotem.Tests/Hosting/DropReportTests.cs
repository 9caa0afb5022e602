using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using static FastTotem.Tests.Hosting.TotemNodeTests;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// A drop of something a host sent or should have received is reported, not only counted (docs/robustness.md, finding
/// D7's bound events): <see cref="TotemNode.DropReported"/> at most once per reason per second, with the count since
/// the previous report, on a live single-node ring over loopback.
/// </summary>
public class DropReportTests
{
    private static readonly TimeSpan Join = TimeSpan.FromSeconds(30);

    private static TotemNode StartSingle(string dir)
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        TotemNode node = TotemNode.Create(new TotemNodeOptions
        {
            NodeId = 1, Members = [new TotemMember(1, IPAddress.Loopback)], Port = port, TokenMs = 1000, StateDir = Path.Combine(dir, "n1"),
        });
        node.Start();
        return node;
    }

    [Fact]
    public async Task UnconsumedDeliveriesAreReportedAtMostOncePerSecondWithTheCountSinceTheLastReport()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-drops-").FullName;
        TotemNode node = StartSingle(dir);
        var reports = new ConcurrentQueue<(DropReport Report, long AtMs)>();
        var clock = Stopwatch.StartNew();
        node.DropReported += r => reports.Enqueue((r, clock.ElapsedMilliseconds));
        try
        {
            await node.WaitForSyncAsync(new CancellationTokenSource(Join).Token);
            ProcessGroup g = await node.JoinGroupAsync("nobody-listens").WaitAsync(Join);

            // The first drop of a reason is reported at once.
            Assert.Equal(SendResult.Ok, await g.MulticastAsync(new byte[] { 0 }));
            Assert.True(WaitFor(() => !reports.IsEmpty, 5_000), "no report of the first unconsumed delivery");

            // A burst right after it: counted at once, reported together a second after the first report.
            for (byte m = 1; m <= 20; m++)
            {
                Assert.Equal(SendResult.Ok, await g.MulticastAsync(new[] { m }));
            }

            Assert.True(WaitFor(() => g.UnconsumedDeliveries == 21, 10_000), $"counted {g.UnconsumedDeliveries} of 21");
            Assert.True(WaitFor(() => reports.Sum(r => r.Report.Count) == 21, 10_000),
                "reports: " + string.Join("; ", reports.Select(r => $"{r.Report} at {r.AtMs} ms")));
            (DropReport Report, long AtMs)[] all = reports.ToArray();
            Assert.All(all, r => Assert.Equal(DropReason.UnconsumedDelivery, r.Report.Reason));
            Assert.Equal(1, all[0].Report.Count);
            Assert.Equal(21, all[^1].Report.Total);
            Assert.True(all.Length <= 3, $"{all.Length} reports for 21 drops within a few seconds");
            for (int i = 1; i < all.Length; i++)
            {
                Assert.True(all[i].AtMs - all[i - 1].AtMs >= 900, $"reports {i - 1} and {i} came {all[i].AtMs - all[i - 1].AtMs} ms apart");
            }

            Assert.Equal(21, node.DropCounters.UnconsumedDeliveries);
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ADeliveryLargerThanTheSlabIsReportedAsAnOverrun()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-drops-").FullName;
        TotemNode node = StartSingle(dir);
        var reports = new ConcurrentQueue<DropReport>();
        node.DropReported += reports.Enqueue;
        try
        {
            await node.WaitForSyncAsync(new CancellationTokenSource(Join).Token);
            ProcessGroup g = await node.JoinGroupAsync("small-slab", new ProcessGroupOptions { Delivery = DeliveryMode.Queue, DeliveryQueueBytes = 4096 }).WaitAsync(Join);
            Assert.Equal(SendResult.Ok, await g.MulticastAsync(new byte[8192]));
            Assert.True(WaitFor(() => !reports.IsEmpty, 5_000), $"no report; overruns counted: {g.DeliveryOverruns}");
            DropReport report = Assert.Single(reports);
            Assert.Equal(new DropReport(DropReason.DeliveryOverrun, 1, 1), report);
            Assert.Equal(1, g.DeliveryOverruns);
            Assert.Equal(1, node.DropCounters.DeliveryOverruns);
        }
        finally
        {
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
