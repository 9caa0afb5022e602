using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;
using FastTotem.Transport;

namespace FastTotem.Cli;

/// <summary>
/// <c>fasttotem demo</c>: a 3-node ring on loopback (127.0.0.1–3) inside this process, built through the public
/// <see cref="TotemNode"/> and <see cref="ProcessGroup"/> API exactly as a user would, so it runs the same node
/// machine, sockets and sync that join real corosync clusters. Needs no root and no corosync. It shows membership
/// forming, ordered messages flowing with live throughput and latency, then one node leaving and the ring
/// re-forming.
/// </summary>
internal static class DemoCommand
{
    private const string Usage = "usage: fasttotem demo [--seconds N] [--size BYTES] [--rate MSGS_PER_S_PER_NODE] [--port N]";

    public static int Run(string[] args)
    {
        int seconds = 3;
        int size = 256;
        int rate = 2000;
        int port = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            bool ok = args[i] switch
            {
                "--seconds" => int.TryParse(value, out seconds) && seconds is > 0 and <= 600,
                "--size" => int.TryParse(value, out size) && size is >= DemoNode.HeaderSize and <= 60_000,
                "--rate" => int.TryParse(value, out rate) && rate is > 0 and <= 1_000_000,
                "--port" => int.TryParse(value, out port) && port is > 1 and < 65536,
                _ => false,
            };
            if (!ok)
            {
                Console.Error.WriteLine($"fasttotem demo: bad argument '{args[i]}{(value != null ? " " + value : "")}'");
                Console.Error.WriteLine(Usage);
                return 2;
            }

            i++;
        }

        if (port == 0)
        {
            using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var members = new TotemMember[3];
        for (int i = 0; i < 3; i++)
        {
            members[i] = new TotemMember((uint)(i + 1), IPAddress.Parse($"127.0.0.{i + 1}"));
        }

        int capacity = Math.Max(1 << 16, seconds * rate * 3 * 2);
        var events = new ConcurrentQueue<string>();
        var nodes = new DemoNode[3];
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"FastTotem demo: 3 nodes on 127.0.0.1-3 port {port} (udpu, token 1000 ms), {size}-byte messages, {rate} msg/s per node for {seconds} s");
        try
        {
            for (int i = 0; i < 3; i++)
            {
                nodes[i] = new DemoNode(members, i, port, size, capacity, events, clock);
            }

            foreach (DemoNode n in nodes)
            {
                n.Start();
            }

            if (!WaitUntil(() => nodes.All(n => n.SyncedMembers == 3), TimeSpan.FromSeconds(20), events))
            {
                Console.WriteLine("the ring did not form within 20 s");
                return 1;
            }

            Task joins = Task.WhenAll(nodes.Select(n => n.JoinAsync()));
            if (!WaitUntil(() => joins.IsCompleted && nodes.All(n => n.GroupMembers == 3), TimeSpan.FromSeconds(20), events))
            {
                Console.WriteLine("the nodes did not all join group \"demo\" within 20 s");
                return 1;
            }

            joins.GetAwaiter().GetResult();

            Console.WriteLine();
            Console.WriteLine("sending: every node multicasts to group \"demo\"; every node delivers in agreed order");
            long sentPerNode = Send(nodes, seconds, rate, events);
            long expected = sentPerNode * 3;
            bool allDelivered = WaitUntil(() => nodes.All(n => n.Delivered >= expected), TimeSpan.FromSeconds(10), events);
            ulong hash = nodes[0].OrderHash;
            bool sameOrder = nodes.All(n => n.OrderHash == hash && n.Delivered == nodes[0].Delivered);
            Console.WriteLine($"agreed order: {(sameOrder ? "identical" : "DIFFERENT")} on all 3 nodes ({nodes[0].Delivered:N0} messages each, order hash {hash:x16}){(allDelivered ? "" : " — NOT ALL DELIVERED")}");

            Console.WriteLine();
            Console.WriteLine("node 3 leaves the ring (corosync's LEAVE message)");
            long leaveAt = clock.ElapsedTicks;
            nodes[2].Stop(leave: true);
            bool reformed = WaitUntil(() => nodes[0].SyncedMembers == 2 && nodes[1].SyncedMembers == 2, TimeSpan.FromSeconds(10), events);
            double reformMs = (clock.ElapsedTicks - leaveAt) * 1000.0 / Stopwatch.Frequency;
            Console.WriteLine(reformed
                ? $"re-formed as ring {nodes[0].SyncedRing} with members [1 2] and synchronised {reformMs:F1} ms after the leave"
                : "the ring did not re-form within 10 s");
            return sameOrder && allDelivered && reformed ? 0 : 1;
        }
        catch (TransportException e)
        {
            Console.Error.WriteLine($"fasttotem demo: {e.Message}");
            return 2;
        }
        finally
        {
            foreach (DemoNode? n in nodes)
            {
                n?.Dispose();
            }
        }
    }

    /// <summary>Paces sends on this thread and prints one line of live figures per second.</summary>
    private static long Send(DemoNode[] nodes, int seconds, int rate, ConcurrentQueue<string> events)
    {
        var sw = Stopwatch.StartNew();
        long sent = 0;
        long lastDelivered = nodes[0].Delivered;
        long lastBytes = nodes[0].DeliveredBytes;
        int latencyFrom = nodes[0].LatencyCount;
        for (int second = 1; second <= seconds; second++)
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(second))
            {
                long due = (long)(sw.Elapsed.TotalSeconds * rate);
                while (sent < due)
                {
                    foreach (DemoNode n in nodes)
                    {
                        n.Enqueue(sent + 1);
                    }

                    sent++;
                }

                Thread.Sleep(1);
            }

            Flush(events);
            long delivered = nodes[0].Delivered;
            long bytes = nodes[0].DeliveredBytes;
            int latencyTo = nodes[0].LatencyCount;
            (double p50, double p99) = nodes[0].Percentiles(latencyFrom, latencyTo);
            Console.WriteLine($"  t={second}s  node 1 delivered {delivered - lastDelivered,7:N0} msg/s  {(bytes - lastBytes) / 1e6,6:F2} MB/s  one-way latency p50 {p50,6:F3} ms  p99 {p99,6:F3} ms");
            lastDelivered = delivered;
            lastBytes = bytes;
            latencyFrom = latencyTo;
        }

        return sent;
    }

    private static bool WaitUntil(Func<bool> condition, TimeSpan timeout, ConcurrentQueue<string> events)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            Flush(events);
            if (condition())
            {
                Flush(events);
                return true;
            }

            Thread.Sleep(10);
        }

        Flush(events);
        return false;
    }

    private static void Flush(ConcurrentQueue<string> events)
    {
        while (events.TryDequeue(out string? line))
        {
            Console.WriteLine(line);
        }
    }

    /// <summary>
    /// One ring member of the demo, built the way a user builds one: a <see cref="TotemNode"/> from options, a
    /// <see cref="ProcessGroup"/> "demo" with deliveries on the protocol thread, and its delivery statistics.
    /// </summary>
    private sealed class DemoNode : IDisposable
    {
        public const int HeaderSize = 20; // sender nodeid u32, seq u64, send time i64 (ns)

        private readonly uint _id;
        private readonly ConcurrentQueue<string> _events;
        private readonly Stopwatch _clock;
        private readonly TotemNode _node;
        private readonly string _stateDir;
        private readonly double[] _latencyMs;
        private readonly byte[] _message;
        private ProcessGroup? _group;
        private volatile int _latencyCount;
        private long _delivered;
        private long _deliveredBytes;
        private long _orderHash = unchecked((long)14695981039346656037UL); // FNV-1a offset basis
        private volatile int _syncedMembers;
        private int _members;
        private bool _stopped;

        public DemoNode(TotemMember[] members, int index, int port, int size, int capacity, ConcurrentQueue<string> events, Stopwatch clock)
        {
            _id = members[index].NodeId;
            _events = events;
            _clock = clock;
            _stateDir = Path.Combine(Path.GetTempPath(), $"fasttotem-demo-{Environment.ProcessId}-{_id}");
            _node = TotemNode.Create(new TotemNodeOptions
            {
                NodeId = _id,
                Members = members,
                Port = port,
                TokenMs = 1000,
                StateDir = _stateDir,
            });
            _node.RingChanged += OnRingChanged;
            _node.SyncCompleted += OnSyncCompleted;
            _latencyMs = new double[capacity];
            _message = new byte[size];
        }

        public long Delivered => Interlocked.Read(ref _delivered);

        public long DeliveredBytes => Interlocked.Read(ref _deliveredBytes);

        public ulong OrderHash => (ulong)Interlocked.Read(ref _orderHash);

        public int LatencyCount => _latencyCount;

        public int SyncedMembers => _syncedMembers;

        /// <summary>Members of group "demo" as this node sees them (0 before it joined).</summary>
        public int GroupMembers => _group?.Membership?.Members.Length ?? 0;

        public string SyncedRing { get; private set; } = "";

        public void Start() => _node.Start();

        /// <summary>Joins group "demo" (cpg_join) and takes its deliveries on the protocol thread.</summary>
        public async Task JoinAsync()
        {
            _group = await _node.JoinGroupAsync("demo", OnDeliver).ConfigureAwait(false);
        }

        /// <summary>Host thread: multicast message number <paramref name="seq"/>, waiting out back-pressure.</summary>
        public void Enqueue(long seq)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_message, _id);
            BinaryPrimitives.WriteInt64LittleEndian(_message.AsSpan(4), seq);
            BinaryPrimitives.WriteInt64LittleEndian(_message.AsSpan(12), MonotonicClock.NowNs());
            while (_group!.TryMulticast(_message) == SendResult.TryAgain)
            {
                Thread.Yield();
            }
        }

        private void OnDeliver(uint nodeId, uint pid, ReadOnlySpan<byte> payload)
        {
            if (payload.Length < HeaderSize)
            {
                return;
            }

            long seq = BinaryPrimitives.ReadInt64LittleEndian(payload[4..]);
            long sentNs = BinaryPrimitives.ReadInt64LittleEndian(payload[12..]);
            int n = _latencyCount;
            if (n < _latencyMs.Length)
            {
                _latencyMs[n] = (MonotonicClock.NowNs() - sentNs) / 1e6;
                _latencyCount = n + 1;
            }

            // FNV-1a over (sender, seq): equal hashes mean equal delivery order.
            ulong h = (ulong)_orderHash;
            h = (h ^ nodeId) * 1099511628211UL;
            h = (h ^ (ulong)seq) * 1099511628211UL;
            Interlocked.Exchange(ref _orderHash, (long)h);
            Interlocked.Add(ref _deliveredBytes, payload.Length);
            Interlocked.Increment(ref _delivered);
        }

        private void OnRingChanged(RingChange change)
        {
            _members = change.Members.Length;
            if (change.Kind == RingChangeKind.Regular)
            {
                _syncedMembers = 0;
                _events.Enqueue($"  [{Ms()}] node {_id}: regular configuration, ring {change.RingId}, members [{string.Join(' ', change.Members)}]");
            }
        }

        private void OnSyncCompleted(RingId ring)
        {
            SyncedRing = ring.ToString();
            _syncedMembers = _members;
            _events.Enqueue($"  [{Ms()}] node {_id}: synchronisation complete on ring {ring}");
        }

        public (double P50, double P99) Percentiles(int from, int to)
        {
            if (to <= from)
            {
                return (0, 0);
            }

            double[] window = _latencyMs[from..to];
            Array.Sort(window);
            return (window[(int)(window.Length * 0.50)], window[Math.Min(window.Length - 1, (int)(window.Length * 0.99))]);
        }

        public void Stop(bool leave)
        {
            if (!_stopped)
            {
                _stopped = true;
                _node.Stop(leave);
            }
        }

        public void Dispose()
        {
            Stop(leave: false);
            _node.Dispose();
            try
            {
                Directory.Delete(_stateDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private string Ms() => $"{_clock.Elapsed.TotalMilliseconds,7:F1} ms";
    }
}
