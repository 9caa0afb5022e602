using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FastTotem.Hosting;
using Xunit.Abstractions;
using static FastTotem.Tests.Hosting.StatusAndQuorumTests;
using static FastTotem.Tests.Hosting.TotemNodeTests;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// The FastTotem meter read back by a <see cref="MeterListener"/> (the way dotnet-counters and OpenTelemetry read it):
/// its values equal the node's own counters, and the protocol thread still allocates nothing per message while the
/// listener is attached and collecting.
/// </summary>
public class MetricsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Join = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Last value per (instrument, node.id, other tag) seen by a listener on the FastTotem meter, for the nodes of one
    /// cluster (tests running in parallel have nodes with the same ids; their cluster names differ).
    /// </summary>
    private sealed class Readings : IDisposable
    {
        private readonly MeterListener _listener = new();

        public Readings(string cluster)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "FastTotem")
                {
                    Instruments.Add(instrument.Name);
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                uint node = 0;
                string other = "";
                bool ours = false;
                foreach (KeyValuePair<string, object?> t in tags)
                {
                    if (t.Key == "node.id")
                    {
                        node = (uint)t.Value!;
                    }
                    else if (t.Key == "cluster.name")
                    {
                        ours = (string?)t.Value == cluster;
                    }
                    else
                    {
                        other = $"{t.Key}={t.Value}";
                    }
                }

                if (ours)
                {
                    Values[(instrument.Name, node, other)] = value;
                }
            });
            _listener.Start();
        }

        public ConcurrentDictionary<(string Name, uint Node, string Tag), long> Values { get; } = new();

        public ConcurrentBag<string> Instruments { get; } = new();

        public void Collect() => _listener.RecordObservableInstruments();

        public long Get(string name, uint node, string tag = "") =>
            Values.TryGetValue((name, node, tag), out long v) ? v : throw new KeyNotFoundException($"{name} node {node} {tag}: not measured");

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task AMeterListenerReadsTheNodesCounters()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-metrics-").FullName;
        TotemNode[] nodes = CreateRing(dir, statusSocket: false, clusterName: "metrics-readback");
        using var readings = new Readings("metrics-readback");
        try
        {
            foreach (TotemNode n in nodes)
            {
                n.Start();
            }

            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3 && n.Quorum.TotalVotes == 3), 30_000), "no 3-node ring");
            int delivered = 0;
            ProcessGroup sender = await nodes[0].JoinGroupAsync("metrics", (_, _, _) => Interlocked.Increment(ref delivered)).WaitAsync(Join);
            ProcessGroup receiver = await nodes[1].JoinGroupAsync("metrics", (_, _, _) => { }).WaitAsync(Join);
            Assert.True(WaitFor(() => sender.Membership?.Members.Length == 2), "the group never had both members");
            for (int i = 0; i < 500; i++)
            {
                Assert.Equal(SendResult.Ok, await sender.MulticastAsync(new byte[100]));
            }

            Assert.True(WaitFor(() => Volatile.Read(ref delivered) == 500), $"delivered {delivered} of 500");
            Assert.True(WaitFor(() => nodes[1].Metrics.MessagesDelivered == 500), $"node 2 delivered {nodes[1].Metrics.MessagesDelivered}");
            readings.Collect();

            NodeMetricsState m = nodes[0].Metrics;
            Assert.Equal(500, readings.Get("fasttotem.messages.sent", 1));
            Assert.Equal(500 * 100, readings.Get("fasttotem.bytes.sent", 1));
            Assert.Equal(500, readings.Get("fasttotem.messages.delivered", 1));
            Assert.Equal(500, readings.Get("fasttotem.messages.delivered", 2));
            Assert.Equal(500 * 100, readings.Get("fasttotem.bytes.delivered", 2));
            Assert.Equal(0, readings.Get("fasttotem.messages.sent", 2));
            Assert.Equal(1, readings.Get("fasttotem.quorate", 3));
            Assert.Equal(3, readings.Get("fasttotem.quorum.total_votes", 3));
            Assert.True(readings.Get("fasttotem.token.rotations", 1) > 0);
            Assert.True(readings.Get("fasttotem.membership.changes", 1) >= 1);
            Assert.Equal(m.MembershipChanges, readings.Get("fasttotem.membership.changes", 1));

            // Every own message was sampled for latency (fewer than 4,096 in flight at once), one bucket count each.
            long latencyCount = readings.Get("fasttotem.delivery.latency.count", 1);
            Assert.Equal(500, latencyCount);
            long bucketSum = Enumerable.Range(0, Log2Histogram.BucketCount)
                .Sum(i => readings.Get("fasttotem.delivery.latency.bucket", 1, $"le_us={Log2Histogram.UpperBoundUs(i)}"));
            Assert.Equal(latencyCount, bucketSum);
            long p99 = readings.Get("fasttotem.delivery.latency.p99", 1);
            Assert.InRange(p99, 1, 1L << 31);
            Assert.True(readings.Get("fasttotem.token.rotation_time.count", 2) > 0);

            // Drops and gather entries by reason: the same names as the status socket's, zeros included.
            Assert.Equal(nodes[0].ReadDrops().Length, readings.Values.Keys.Count(k => k.Name == "fasttotem.drops" && k.Node == 1));
            Assert.Equal(nodes[0].DropCounters.SrpMisattributed, readings.Get("fasttotem.drops", 1, "reason=srp_misattributed"));
            Assert.Equal(nodes[0].Srp.GatherByReason[(int)global::FastTotem.GatherReason.InterfaceChange],
                readings.Get("fasttotem.gather.entries", 1, "reason=interface-change"));
            Assert.True(readings.Get("fasttotem.queue.depth", 1, "queue=srp_send") >= 0);
            output.WriteLine($"{readings.Instruments.Distinct().Count()} instruments; node 1 delivery latency p50 ≤ " +
                $"{readings.Get("fasttotem.delivery.latency.p50", 1)} µs, p99 ≤ {p99} µs; token rotation p50 ≤ " +
                $"{readings.Get("fasttotem.token.rotation_time.p50", 1)} µs");

            // A disposed node stops reporting.
            nodes[2].Dispose();
            readings.Values.Clear();
            readings.Collect();
            Assert.DoesNotContain(readings.Values.Keys, k => k.Node == 3);
            Assert.Contains(readings.Values.Keys, k => k.Node == 1);
        }
        finally
        {
            DisposeRing(nodes, dir);
        }
    }

    /// <summary>
    /// The protocol thread's allocations (sampled by the loop itself) over 1,000 messages sent and delivered, while a
    /// MeterListener is attached and collects every 10 ms: exactly 0 B in one of three windows.
    /// </summary>
    [Fact]
    public async Task TheLoopAllocatesNothingPerMessageWithAMeterListenerAttached()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-metrics-alloc-").FullName;
        TotemNode node = CreateRing(dir, count: 1, statusSocket: false, clusterName: "metrics-alloc")[0];
        using var readings = new Readings("metrics-alloc");
        using var stop = new CancellationTokenSource();
        long collections = 0;
        // A thread of its own: a pool task could be starved for the whole second the test takes on a busy 2-core
        // machine, and then the listener never read anything after start-up (it read 0 deliveries).
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                readings.Collect();
                Interlocked.Increment(ref collections);
                Thread.Sleep(10);
            }
        }) { IsBackground = true, Name = "metrics-collector" };
        collector.Start();
        try
        {
            node.Start();
            await node.WaitForSyncAsync().WaitAsync(Join);
            long delivered = 0;
            ProcessGroup g = await node.JoinGroupAsync("metrics-alloc", (_, _, _) => Interlocked.Increment(ref delivered)).WaitAsync(Join);
            node.SampleLoopAllocations = true;
            byte[] message = new byte[64];

            void Window(int count)
            {
                long target = Interlocked.Read(ref delivered) + count;
                for (int i = 0; i < count; i++)
                {
                    while (g.TryMulticast(message) != SendResult.Ok)
                    {
                        Thread.Sleep(0);
                    }
                }

                Assert.True(WaitFor(() => Interlocked.Read(ref delivered) >= target), "deliveries stalled");
                Thread.Sleep(50); // a few idle steps, so the loop samples after the last delivery
            }

            Window(2000); // warm-up
            Assert.True(node.LoopAllocatedBytes > 0, "the loop never sampled its allocations (start-up allocates, so a sample is never 0)");
            var measured = new long[3];
            for (int w = 0; w < measured.Length; w++)
            {
                long before = node.LoopAllocatedBytes;
                Window(1000);
                measured[w] = node.LoopAllocatedBytes - before;
                if (measured[w] == 0)
                {
                    break;
                }
            }

            output.WriteLine($"loop thread allocations per window of 1,000 messages: {string.Join(", ", measured)} B; " +
                $"{readings.Values.Count} readings collected");
            long collectedDuring = Interlocked.Read(ref collections);
            Assert.True(WaitFor(() => Interlocked.Read(ref collections) > collectedDuring + 1), "the collector stopped collecting");
            long read = readings.Get("fasttotem.messages.delivered", 1);
            Assert.True(read >= 2000, $"the listener read {read} deliveries in {collectedDuring} collections");
            Assert.Contains(0L, measured);
        }
        finally
        {
            stop.Cancel();
            collector.Join();
            node.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
