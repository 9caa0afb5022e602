using System.Globalization;
using System.Text;
using FastTotem.Hosting;
using FastTotem.Config;
using FastTotem.Transport;

namespace FastTotem.Cli.Bench;

/// <summary>
/// <c>fasttotem bench-node</c> (hidden): one FastTotem ring member of <c>fasttotem bench</c>, in its own process
/// and network namespace. It joins the group as a libcpg program would (TotemNode + ProcessGroup), prints
/// <c>joined</c> once the group has all members, waits for <c>start T</c> on stdin (T in CLOCK_MONOTONIC ns, shared
/// by every namespace), sends from T as fast as flow control allows (or at a fixed rate), measures the window
/// [T + warmup, T + warmup + seconds), and prints one JSON line.
/// </summary>
internal static class BenchNodeCommand
{
    private const long TailNs = 300_000_000; // senders keep the ring busy a little past the window

    public static int Run(string[] args)
    {
        var o = new NodeArgs();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--config": o.Config = v; break;
                case "--nodeid": o.NodeId = uint.Parse(v, CultureInfo.InvariantCulture); break;
                case "--group": o.Group = v; break;
                case "--size": o.Size = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--send": o.Send = v == "1"; break;
                case "--rate": o.Rate = double.Parse(v, CultureInfo.InvariantCulture); break;
                case "--members": o.Members = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--warmup": o.WarmupNs = (long)(double.Parse(v, CultureInfo.InvariantCulture) * 1e9); break;
                case "--seconds": o.WindowNs = (long)(double.Parse(v, CultureInfo.InvariantCulture) * 1e9); break;
                case "--delivery": o.Queue = v == "queue"; break;
                case "--send-bound-ms": o.SendBoundMs = double.Parse(v, CultureInfo.InvariantCulture); break;
                case "--busy-poll-cpu": o.BusyPollCpu = int.Parse(v, CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"bench-node: unknown option {args[i]}");
                    return 2;
            }
        }

        if (o.Config == null || o.Size < ProbeMessage.HeaderSize)
        {
            Console.Error.WriteLine("bench-node: --config and --size >= 32 are required");
            return 2;
        }

        TotemNode node;
        try
        {
            node = TotemNode.FromConfigFile(o.Config, o.NodeId == 0 ? null : o.NodeId, busyPoll: o.BusyPollCpu >= 0, pinCpu: o.BusyPollCpu);
        }
        catch (Exception e) when (e is CorosyncConfigException or TransportException or IOException)
        {
            Console.Error.WriteLine($"bench-node: {e.Message}");
            return 1;
        }

        using (node)
        {
            // Rare events only (knet link changes, drop reports, the counters at exit; ring re-formations): evidence for
            // a slow run in the node's log, nothing on the message path.
            node.TransportLog += line => Console.Error.WriteLine($"bench-node: {line}");
            node.GatherEntered += (reason, ring) => Console.Error.WriteLine($"bench-node: ring {ring} re-forming: {reason}");
            node.Start();
            return RunMember(node, o);
        }
    }

    private static int RunMember(TotemNode node, NodeArgs o)
    {
        var options = new ProcessGroupOptions
        {
            Delivery = o.Queue ? DeliveryMode.Queue : DeliveryMode.ProtocolThread,
            MaxMessageSize = Math.Max(o.Size, 64 * 1024),
            SendLatencyBound = o.SendBoundMs is double ms ? TimeSpan.FromMilliseconds(ms) : new ProcessGroupOptions().SendLatencyBound,
        };
        var stats = new DeliveryStats();
        var receiver = new Receiver(stats);
        Task<ProcessGroup> join = o.Queue ? node.JoinGroupAsync(o.Group, options) : node.JoinGroupAsync(o.Group, receiver.OnDeliverNow, options);
        if (!join.Wait(TimeSpan.FromSeconds(60)))
        {
            Console.Error.WriteLine("bench-node: the join was not confirmed within 60 s");
            return 1;
        }

        ProcessGroup pg = join.Result;
        int ringChanges = 0;
        node.RingChanged += _ => Interlocked.Increment(ref ringChanges); // control plane, counted for the report
        long waitUntil = MonotonicClock.NowNs() + 60_000_000_000;
        while ((pg.Membership?.Members.Length ?? 0) < o.Members)
        {
            if (MonotonicClock.NowNs() > waitUntil)
            {
                Console.Error.WriteLine($"bench-node: the group has {pg.Membership?.Members.Length ?? 0} of {o.Members} members after 60 s");
                return 1;
            }

            Thread.Sleep(5);
        }

        Console.WriteLine("joined");
        Console.Out.Flush();
        string? line = Console.ReadLine();
        if (line == null || !line.StartsWith("start ", StringComparison.Ordinal))
        {
            return 1;
        }

        long startNs = long.Parse(line.AsSpan(6), CultureInfo.InvariantCulture);
        long windowStart = startNs + o.WarmupNs;
        long windowEnd = windowStart + o.WindowNs;
        stats.SetWindow(windowStart, windowEnd);
        Thread? drain = null;
        if (o.Queue)
        {
            drain = new Thread(() => receiver.Drain(pg, windowEnd + 2 * TailNs)) { IsBackground = true, Name = "bench-drain" };
            drain.Start();
        }

        int ringChangesAtStart = Volatile.Read(ref ringChanges);
        var sample = new Sample { Node = node };
        if (o.Send)
        {
            SendLoop(pg, o, startNs, windowStart, windowEnd, sample);
        }
        else
        {
            SleepUntil(windowStart);
            sample.Begin();
            SleepUntil(windowEnd);
            sample.End();
        }

        SleepUntil(windowEnd + 2 * TailNs);
        drain?.Join();
        if (stats.Trace != null)
        {
            using var w = new StreamWriter($"/tmp/ftb-trace-{node.NodeId}.txt");
            for (int i = 0; i < stats.Traced; i++)
            {
                w.WriteLine($"{stats.Trace[i * 3]} {stats.Trace[i * 3 + 1]} {stats.Trace[i * 3 + 2]}");
            }
        }

        sample.RingChanges = Volatile.Read(ref ringChanges) - ringChangesAtStart;
        Console.WriteLine(Report(node, pg, o, stats, sample));
        Console.Out.Flush();
        pg.Leave();
        Thread.Sleep(100);
        return 0;
    }

    /// <summary>The sender: as fast as TryMulticast accepts (back-pressure: yield, then sleep 1 ms), or paced.</summary>
    private static void SendLoop(ProcessGroup pg, NodeArgs o, long startNs, long windowStart, long windowEnd, Sample sample)
    {
        byte[] message = GC.AllocateArray<byte>(o.Size, pinned: true);
        for (int i = ProbeMessage.HeaderSize; i < message.Length; i++)
        {
            message[i] = (byte)('a' + i % 26);
        }

        uint pid = pg.Pid;
        uint nodeId = pg.NodeId;
        long interval = o.Rate > 0 ? (long)(1e9 / o.Rate) : 0;
        long nextSend = startNs;
        long stopAt = windowEnd + TailNs;
        ulong seq = 0;
        int backoff = 0;
        bool begun = false;
        SleepUntil(startNs);
        while (true)
        {
            long now = MonotonicClock.NowNs();
            if (!begun && now >= windowStart)
            {
                begun = true;
                sample.Begin();
                sample.SentAtBegin = (long)seq;
            }

            if (begun && sample.EndNs == 0 && now >= windowEnd)
            {
                sample.End();
                sample.SentAtEnd = (long)seq;
            }

            if (now >= stopAt)
            {
                break;
            }

            if (interval > 0 && now < nextSend)
            {
                BenchClock.SleepUntil(nextSend);
                continue;
            }

            ProbeMessage.Write(message, pid, seq + 1, now, nodeId);
            if (pg.TryMulticast(message) == SendResult.Ok)
            {
                seq++;
                backoff = 0;
                nextSend = interval > 0 ? nextSend + interval : now;
                continue;
            }

            // Back-pressure: the send queue is full and drains at the pace of the token. Yield first; then sleep a
            // little, long enough not to steal the core from the protocol thread, short enough to keep it fed.
            sample.TryAgain++;
            if (++backoff < 4)
            {
                Thread.Yield();
            }
            else
            {
                BenchClock.Sleep(50_000);
            }
        }

        sample.SentTotal = (long)seq;
    }

    private static void SleepUntil(long ns) => BenchClock.SleepUntil(ns);

    private static string Report(TotemNode node, ProcessGroup pg, NodeArgs o, DeliveryStats s, Sample m)
    {
        var inv = CultureInfo.InvariantCulture;
        double windowS = o.WindowNs / 1e9;
        var sb = new StringBuilder();
        sb.Append(inv, $"{{\"system\":\"fasttotem\",\"node\":{node.NodeId},\"size\":{o.Size},\"sender\":{(o.Send ? 1 : 0)},");
        sb.Append(inv, $"\"window_s\":{windowS},\"sent\":{m.SentAtEnd - m.SentAtBegin},\"sent_total\":{m.SentTotal},\"try_again\":{m.TryAgain},");
        sb.Append(inv, $"\"delivered\":{s.Delivered},\"bytes\":{s.Bytes},\"delivered_total\":{s.DeliveredTotal},\"gaps\":{s.Gaps},\"reorders\":{s.Reorders},\"foreign\":{s.Foreign},");
        sb.Append(inv, $"\"overruns\":{pg.DeliveryOverruns},\"alloc_bytes\":{m.AllocEnd - m.AllocBegin},\"sender_thread_alloc_bytes\":{m.ThreadAllocEnd - m.ThreadAllocBegin},");
        sb.Append(inv, $"\"ring_changes\":{m.RingChanges},\"gc0\":{m.Gc0},\"gc1\":{m.Gc1},\"gc2\":{m.Gc2},\"delivery\":\"{(o.Queue ? "queue" : "callback")}\",");
        LoopIoCounters io0 = m.IoBegin, io1 = m.IoEnd;
        sb.Append(inv, $"\"syscalls\":{io1.SystemCalls - io0.SystemCalls},\"send_calls\":{io1.SendCalls - io0.SendCalls},\"recv_calls\":{io1.ReceiveCalls - io0.ReceiveCalls},");
        sb.Append(inv, $"\"epoll_waits\":{io1.EpollWaits - io0.EpollWaits},\"wakeups\":{io1.Wakeups - io0.Wakeups},\"wake_writes\":{io1.WakeWrites - io0.WakeWrites},");
        sb.Append(inv, $"\"packets_sent\":{io1.DatagramsSent - io0.DatagramsSent},\"packets_received\":{io1.DatagramsReceived - io0.DatagramsReceived},");
        sb.Append(inv, $"\"gso_sends\":{io1.GsoSends - io0.GsoSends},\"gro_buffers\":{io1.GroBuffers - io0.GroBuffers},");
        sb.Append(inv, $"\"p50_ns\":{Num(s.Latency.Percentile(0.5))},\"p99_ns\":{Num(s.Latency.Percentile(0.99))},\"hist\":{s.Latency.ToSparseJson()}}}");
        return sb.ToString();
    }

    private static string Num(double v) => double.IsNaN(v) ? "null" : v.ToString("F0", CultureInfo.InvariantCulture);

    private sealed class NodeArgs
    {
        public string? Config;
        public uint NodeId;
        public string Group = "ftbench";
        public int Size = 64;
        public bool Send;
        public double Rate;
        public int Members = 1;
        public long WarmupNs = 2_000_000_000;
        public long WindowNs = 5_000_000_000;
        public bool Queue;

        /// <summary>--send-bound-ms: the group's SendLatencyBound (0 = unbounded, as fasttotem-unbounded runs); unset = the default.</summary>
        public double? SendBoundMs;

        /// <summary>--busy-poll-cpu N: the loop busy-polls, pinned to CPU N (fasttotem-busy's sender); -1 = epoll.</summary>
        public int BusyPollCpu = -1;
    }

    /// <summary>Allocation, GC and send counters at the window's edges, taken on the sending (or main) thread.</summary>
    private sealed class Sample
    {
        public long AllocBegin, AllocEnd, ThreadAllocBegin, ThreadAllocEnd, Gc0, Gc1, Gc2, EndNs;
        public long SentAtBegin, SentAtEnd, SentTotal, TryAgain, RingChanges;
        public LoopIoCounters IoBegin, IoEnd;
        public TotemNode? Node;
        private int _gc0, _gc1, _gc2;

        public void Begin()
        {
            IoBegin = Node?.IoCounters ?? default;
            _gc0 = GC.CollectionCount(0);
            _gc1 = GC.CollectionCount(1);
            _gc2 = GC.CollectionCount(2);
            ThreadAllocBegin = GC.GetAllocatedBytesForCurrentThread();
            AllocBegin = GC.GetTotalAllocatedBytes(precise: true);
        }

        public void End()
        {
            AllocEnd = GC.GetTotalAllocatedBytes(precise: true);
            ThreadAllocEnd = GC.GetAllocatedBytesForCurrentThread();
            Gc0 = GC.CollectionCount(0) - _gc0;
            Gc1 = GC.CollectionCount(1) - _gc1;
            Gc2 = GC.CollectionCount(2) - _gc2;
            EndNs = MonotonicClock.NowNs();
            IoEnd = Node?.IoCounters ?? default;
        }
    }

    /// <summary>Deliveries into <see cref="DeliveryStats"/>, from the protocol thread (callback) or a drain thread (queue).</summary>
    private sealed class Receiver
    {
        private readonly DeliveryStats _stats;
        private readonly DeliverHandler _handler;

        public Receiver(DeliveryStats stats)
        {
            _stats = stats;
            _handler = OnDeliverNow;
        }

        public void OnDeliverNow(uint nodeId, uint pid, ReadOnlySpan<byte> data) =>
            _stats.OnDeliver(nodeId, pid, data, MonotonicClock.NowNs());

        /// <summary>Drains the lock-free delivery queue; when it is empty, yields a few times, then naps 20 µs.</summary>
        public void Drain(ProcessGroup pg, long untilNs)
        {
            int idle = 0;
            while (MonotonicClock.NowNs() < untilNs)
            {
                if (pg.TryReceive(_handler))
                {
                    idle = 0;
                    continue;
                }

                if (++idle < 64)
                {
                    Thread.Yield();
                }
                else
                {
                    BenchClock.Sleep(20_000);
                }
            }
        }
    }
}
