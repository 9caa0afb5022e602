using System.Buffers.Binary;
using System.Globalization;
using FastTotem.Hosting;
using FastTotem.Config;
using FastTotem.Transport;

namespace FastTotem.Cli.Bench;

/// <summary>
/// <c>fasttotem bench-latency-node</c> (hidden): native/examples/ftlatency.c's twin on the C# API, with the same
/// options, message header ("FTLP") and JSON summary, plus GC counts and host-thread allocation over the window.
/// The host thread leases deliveries in place (<see cref="ProcessGroup.TryTakeDelivery"/>) and sleeps in
/// <see cref="ProcessGroup.WaitForDelivery"/> when none waits, as ftlatency does, so the C# and C API columns
/// differ only by the API.
/// </summary>
internal static class LatencyNodeCommand
{
    private const uint Magic = 0x504c5446; // "FTLP"
    private const uint KindPing = 1;
    private const uint KindPong = 2;
    private const uint FlagEcho = 1;
    private const int HeaderSize = 32;

    public static int Run(string[] args)
    {
        string? config = null, role = null, mode = "pingpong", group = "ftlatency";
        double rate = 1000, seconds = 10, warmup = 1;
        int size = 64, pin = -1;
        uint nodeId = 0;
        bool busy = false;
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < args.Length; i++)
        {
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "-c": config = v; i++; break;
                case "-R": role = v; i++; break;
                case "-m": mode = v; i++; break;
                case "-g": group = v; i++; break;
                case "-r": rate = double.Parse(v!, inv); i++; break;
                case "-t": seconds = double.Parse(v!, inv); i++; break;
                case "-w": warmup = double.Parse(v!, inv); i++; break;
                case "-s": size = int.Parse(v!, inv); i++; break;
                case "-n": nodeId = uint.Parse(v!, inv); i++; break;
                case "-p": pin = int.Parse(v!, inv); i++; break;
                case "-b": busy = true; break;
                default:
                    Console.Error.WriteLine($"bench-latency-node: unknown option {args[i]}");
                    return 2;
            }
        }

        bool isPing = role == "ping", isEcho = role == "echo", oneway = mode == "oneway";
        if (config == null || (!isPing && !isEcho) || (!oneway && mode != "pingpong") || rate <= 0 || seconds <= 0 || size < HeaderSize || size > 65536)
        {
            Console.Error.WriteLine("usage: fasttotem bench-latency-node -c CONFIG -R ping|echo [-m pingpong|oneway] [-r RATE] [-t S] [-w S] [-s SIZE] [-n NODEID] [-b] [-p CPU]");
            return 2;
        }

        TotemNode node;
        try
        {
            node = TotemNode.FromConfigFile(config, nodeId == 0 ? null : nodeId, busy, pin);
        }
        catch (Exception e) when (e is CorosyncConfigException or TransportException or IOException or ArgumentOutOfRangeException)
        {
            Console.Error.WriteLine($"bench-latency-node: {e.Message}");
            return 1;
        }

        using (node)
        {
            node.Start();
            Task<ProcessGroup> join = node.JoinGroupAsync(group!, new ProcessGroupOptions { Delivery = DeliveryMode.Queue });
            if (!join.Wait(TimeSpan.FromSeconds(60)))
            {
                Console.Error.WriteLine("bench-latency-node: join not confirmed in 60 s");
                return 1;
            }

            ProcessGroup pg = join.Result;
            Console.WriteLine($"ready nodeid={node.NodeId} role={role} group={group}");
            Console.Out.Flush();
            long waitUntil = MonotonicClock.NowNs() + 60_000_000_000;
            while ((pg.Membership?.Members.Length ?? 0) < 2)
            {
                if (MonotonicClock.NowNs() > waitUntil)
                {
                    Console.Error.WriteLine("bench-latency-node: the other member never joined");
                    return 1;
                }

                Thread.Sleep(10);
            }

            var run = new Probe(pg, node.NodeId, isPing, oneway, size, rate, warmup, seconds);
            run.Loop();
            pg.Leave();
            Thread.Sleep(100);
            LoopThreadInfo loop = node.LoopThreadInfo;
            Console.WriteLine(run.Report(mode!, role!, busy, pin, loop));
            Console.Out.Flush();
            return run.Measured && run.Count == 0 ? 1 : 0;
        }
    }

    /// <summary>The measurement, with every buffer allocated before the window.</summary>
    private sealed class Probe
    {
        private readonly ProcessGroup _pg;
        private readonly uint _self;
        private readonly bool _isPing;
        private readonly bool _oneway;
        private readonly byte[] _buffer;
        private readonly long[] _samples;
        private readonly long _interval;
        private readonly long _start;
        private readonly long _measureFrom;
        private readonly long _end;
        private readonly double _rate;
        private long _sent, _received;
        private bool _peerGone;
        private int _gc0, _gc1, _gc2;
        private long _allocBegin, _allocEnd;
        private bool _windowOpen, _windowClosed;

        public Probe(ProcessGroup pg, uint self, bool isPing, bool oneway, int size, double rate, double warmup, double seconds)
        {
            _pg = pg;
            _self = self;
            _isPing = isPing;
            _oneway = oneway;
            _rate = rate;
            _buffer = GC.AllocateArray<byte>(size, pinned: true);
            _samples = new long[(long)(rate * (seconds + warmup + 5)) + 16];
            _interval = (long)(1e9 / rate);
            _start = MonotonicClock.NowNs();
            _measureFrom = _start + (long)(warmup * 1e9);
            _end = isPing ? _measureFrom + (long)(seconds * 1e9) : _start + (long)((seconds + warmup + 30) * 1e9);
        }

        public int Count { get; private set; }

        public bool Measured => (_isPing && !_oneway) || (!_isPing && _oneway);

        public void Loop()
        {
            long nextSend = _start;
            while (!_peerGone)
            {
                long now = MonotonicClock.NowNs();
                if (!_windowOpen && now >= _measureFrom)
                {
                    _windowOpen = true;
                    _gc0 = GC.CollectionCount(0);
                    _gc1 = GC.CollectionCount(1);
                    _gc2 = GC.CollectionCount(2);
                    _allocBegin = GC.GetAllocatedBytesForCurrentThread();
                }

                if (now >= _end)
                {
                    break;
                }

                if (_isPing && now >= nextSend)
                {
                    Write(KindPing, _oneway ? 0 : FlagEcho, _self, (ulong)(_sent + 1), now);
                    Send(_buffer);
                    _sent++;
                    nextSend += _interval;
                    if (nextSend + 100 * _interval < now)
                    {
                        nextSend = now;
                    }
                }

                if (!Drain())
                {
                    // Sleep until a delivery arrives or the next ping is due (ftlatency does the same).
                    long t = MonotonicClock.NowNs();
                    long left = _isPing ? nextSend - t : 100_000_000;
                    if (left > 20_000)
                    {
                        _pg.WaitForDelivery(left);
                    }
                    else
                    {
                        Thread.Yield();
                    }
                }
            }

            CloseWindow();
            if (_isPing)
            {
                long until = MonotonicClock.NowNs() + 200_000_000;
                while (MonotonicClock.NowNs() < until)
                {
                    if (!Drain())
                    {
                        Thread.Sleep(1);
                    }
                }

                Write(KindPing, 0, _self, 0, MonotonicClock.NowNs());
                Send(_buffer);
                Thread.Sleep(100);
            }
        }

        private void CloseWindow()
        {
            if (!_windowClosed)
            {
                _windowClosed = true;
                _allocEnd = GC.GetAllocatedBytesForCurrentThread();
                _gc0 = GC.CollectionCount(0) - _gc0;
                _gc1 = GC.CollectionCount(1) - _gc1;
                _gc2 = GC.CollectionCount(2) - _gc2;
            }
        }

        /// <summary>Takes every waiting delivery in place; false when none waited.</summary>
        private bool Drain()
        {
            bool any = false;
            while (_pg.TryTakeDelivery(out DeliveryLease lease))
            {
                any = true;
                long t = MonotonicClock.NowNs();
                ReadOnlySpan<byte> d = lease.Data;
                if (d.Length >= HeaderSize && lease.NodeId != _self && BinaryPrimitives.ReadUInt32LittleEndian(d) == Magic)
                {
                    uint kind = BinaryPrimitives.ReadUInt32LittleEndian(d[4..]);
                    uint flags = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
                    uint pinger = BinaryPrimitives.ReadUInt32LittleEndian(d[12..]);
                    ulong seq = BinaryPrimitives.ReadUInt64LittleEndian(d[16..]);
                    long sentNs = BinaryPrimitives.ReadInt64LittleEndian(d[24..]);
                    if (!_isPing && kind == KindPing)
                    {
                        _received++;
                        if (seq == 0)
                        {
                            _peerGone = true;
                        }
                        else if ((flags & FlagEcho) != 0)
                        {
                            int length = Math.Min(d.Length, _buffer.Length);
                            d[..length].CopyTo(_buffer);
                            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(4), KindPong);
                            lease.Release();
                            Send(_buffer.AsSpan(0, length));
                            _sent++;
                            continue;
                        }
                        else
                        {
                            Record(sentNs, t);
                        }
                    }
                    else if (_isPing && kind == KindPong && pinger == _self)
                    {
                        _received++;
                        Record(sentNs, t);
                    }
                }

                lease.Release();
            }

            return any;
        }

        private void Record(long sentNs, long now)
        {
            if (sentNs >= _measureFrom && Count < _samples.Length)
            {
                _samples[Count++] = now - sentNs;
            }
        }

        private void Write(uint kind, uint flags, uint pinger, ulong seq, long sentNs)
        {
            Span<byte> b = _buffer;
            BinaryPrimitives.WriteUInt32LittleEndian(b, Magic);
            BinaryPrimitives.WriteUInt32LittleEndian(b[4..], kind);
            BinaryPrimitives.WriteUInt32LittleEndian(b[8..], flags);
            BinaryPrimitives.WriteUInt32LittleEndian(b[12..], pinger);
            BinaryPrimitives.WriteUInt64LittleEndian(b[16..], seq);
            BinaryPrimitives.WriteInt64LittleEndian(b[24..], sentNs);
        }

        private void Send(ReadOnlySpan<byte> message)
        {
            while (_pg.TryMulticast(message) == SendResult.TryAgain)
            {
                Thread.Yield();
            }
        }

        public string Report(string mode, string role, bool busy, int pin, LoopThreadInfo loop)
        {
            var inv = CultureInfo.InvariantCulture;
            if (!Measured)
            {
                return string.Create(inv, $"{{\"tool\":\"bench-latency-node\",\"role\":\"{role}\",\"mode\":\"{mode}\",\"sent\":{_sent},\"received\":{_received},\"gc0\":{_gc0},\"gc1\":{_gc1},\"gc2\":{_gc2},\"host_alloc_bytes\":{_allocEnd - _allocBegin},\"loop_tid\":{loop.Tid},\"loop_cpu\":{loop.Cpu},\"loop_pinned\":{(loop.Pinned ? 1 : 0)},\"busy_poll\":{(busy ? 1 : 0)}}}");
            }

            Array.Sort(_samples, 0, Count);
            double sum = 0;
            for (int i = 0; i < Count; i++)
            {
                sum += _samples[i];
            }

            double Pct(double p) => Count == 0 ? 0 : _samples[(int)(p * (Count - 1) + 0.5)] / 1000.0;
            return string.Create(inv,
                $"{{\"tool\":\"bench-latency-node\",\"mode\":\"{mode}\",\"rate\":{_rate:0},\"size\":{_buffer.Length},\"busy_poll\":{(busy ? 1 : 0)},\"pin_cpu\":{pin},"
                + $"\"samples\":{Count},\"sent\":{_sent},\"received\":{_received},\"lost\":{(_isPing ? _sent - _received : 0)},"
                + $"\"p50_us\":{Pct(0.5):0.0},\"p99_us\":{Pct(0.99):0.0},\"p999_us\":{Pct(0.999):0.0},\"max_us\":{(Count > 0 ? _samples[Count - 1] / 1000.0 : 0):0.0},\"mean_us\":{(Count > 0 ? sum / Count / 1000.0 : 0):0.0},"
                + $"\"loop_tid\":{loop.Tid},\"loop_cpu\":{loop.Cpu},\"loop_pinned\":{(loop.Pinned ? 1 : 0)},\"loop_migrations\":{loop.CpuMigrations},"
                + $"\"stalls\":{_pg.DeliveryStalls},\"overruns\":{_pg.DeliveryOverruns},\"gc0\":{_gc0},\"gc1\":{_gc1},\"gc2\":{_gc2},\"host_alloc_bytes\":{_allocEnd - _allocBegin}}}");
        }
    }
}
