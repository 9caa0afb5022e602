using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using FastTotem.Hosting;
using FastTotem.Config;
using FastTotem.Transport;

namespace FastTotem.Cli;

/// <summary>
/// <c>fasttotem cpg</c>: native/cpgprobe's twin on a FastTotem node. Same options, same message format
/// (so the two read each other's messages), same output lines, so tests and benchmarks treat both alike.
/// </summary>
internal static class CpgCommand
{
    private const string Usage = "usage: fasttotem cpg -c corosync.conf [--nodeid N] [--wait-ring NODES] [-g GROUP] [-s SIZE[,SIZE...]] [-r RATE] [-n COUNT] [-m MEMBERS] [-t SECONDS] [-e EXPECT] [-v]";
    private const uint ProbeMagic = 0x42505446; // "FTPB", as native/cpgprobe.c
    private const int HeaderSize = 32;

    public static int Run(string[] args)
    {
        string? config = null;
        uint? nodeId = null;
        string group = "fasttotem";
        int size = 64;
        int[] sizes = { 64 };
        int waitMembers = 0;
        int waitRing = 0;
        double rate = 0;
        long count = 0;
        double seconds = 0;
        long expect = 0;
        bool verbose = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            bool ok = true;
            switch (a)
            {
                case "-c": config = v; i++; ok = v != null; break;
                case "--nodeid": ok = uint.TryParse(v, out uint n) && n > 0; nodeId = n; i++; break;
                case "-g": group = v ?? ""; ok = group.Length is > 0 and <= 127; i++; break;
                case "-s":
                    sizes = (v ?? "").Split(',').Select(x => int.TryParse(x, out int z) ? z : -1).ToArray();
                    ok = sizes.All(z => z is >= HeaderSize and <= 4 * 1024 * 1024);
                    size = ok ? sizes.Max() : 0;
                    i++;
                    break;
                case "-m": ok = int.TryParse(v, out waitMembers) && waitMembers >= 0; i++; break;
                case "--wait-ring": ok = int.TryParse(v, out waitRing) && waitRing >= 0; i++; break;
                case "-r": ok = double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out rate) && rate >= 0; i++; break;
                case "-n": ok = long.TryParse(v, out count) && count >= 0; i++; break;
                case "-t": ok = double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out seconds) && seconds >= 0; i++; break;
                case "-e": ok = long.TryParse(v, out expect) && expect >= 0; i++; break;
                case "-v": verbose = true; break;
                default: ok = false; break;
            }

            if (!ok)
            {
                Console.Error.WriteLine($"fasttotem cpg: bad argument '{a}'");
                Console.Error.WriteLine(Usage);
                return 2;
            }
        }

        if (config == null)
        {
            Console.Error.WriteLine("fasttotem cpg: -c corosync.conf is required");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        TotemNode node;
        try
        {
            node = TotemNode.FromConfigFile(config, nodeId);
        }
        catch (Exception e) when (e is CorosyncConfigException or TransportException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"fasttotem: {e.Message}");
            return 2;
        }

        using var stop = new ManualResetEventSlim();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        var lines = new ConcurrentQueue<string>();
        using (node)
        {
            // knet link changes, PMTUd results and drop reports, as fasttotem run prints them (stderr; nothing on udpu/udp).
            node.TransportLog += line => Console.Error.WriteLine($"fasttotem: {line}");
            node.Start();
            var ringWait = Stopwatch.StartNew();
            while (waitRing > 0 && (node.Ring?.Members.Length ?? 0) < waitRing && ringWait.Elapsed < TimeSpan.FromSeconds(60) && !stop.IsSet)
            {
                Thread.Sleep(10);
            }

            // Send slots are preallocated at MaxMessageSize each: fewer of them for big messages.
            var options = new ProcessGroupOptions
            {
                Delivery = DeliveryMode.Queue,
                MaxMessageSize = Math.Max(size, 64 * 1024),
                SendQueueCapacity = size > 64 * 1024 ? 8 : 256,
                DeliveryQueueBytes = 64 * 1024 * 1024,

                // With the join, so the first change (this member's own join) is printed like every later one.
                MembershipChanged = m => lines.Enqueue($"confchg group={m.Group} members={List(m.Members, false)} joined={List(m.Joined, true)} left={List(m.Left, true)}"),
            };
            ProcessGroup pg;
            try
            {
                // A join not confirmed in time is withdrawn (cancelled), so no member stays behind without a handle.
                using var joinTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                pg = node.JoinGroupAsync(group, options, joinTimeout.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("fasttotem cpg: the join was not confirmed within 60 s");
                return 1;
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"fasttotem cpg: {e.Message}");
                return 1;
            }
            catch (AggregateException e)
            {
                Console.Error.WriteLine($"fasttotem cpg: {e.InnerException?.Message}");
                return 1;
            }

            pg.RingChanged += r => lines.Enqueue($"totem ring={r.RingId} members={string.Join(',', r.Members)}");
            Console.WriteLine($"ready nodeid={node.NodeId} pid={pg.Pid} group={group}");
            Console.Out.Flush();
            var stats = new Stats();
            byte[] buffer = new byte[size];
            for (int i = HeaderSize; i < size; i++)
            {
                buffer[i] = (byte)('a' + i % 26);
            }

            long start = MonotonicClock.NowNs();
            long interval = rate > 0 ? (long)(1e9 / rate) : 0;
            long nextSend = start;
            var output = new System.Text.StringBuilder();
            while (!stop.IsSet)
            {
                long now = MonotonicClock.NowNs();
                if (seconds > 0 && now - start >= (long)(seconds * 1e9))
                {
                    break;
                }

                if ((count > 0 || expect > 0) && stats.Sent >= count && (expect == 0 || stats.Received >= expect))
                {
                    break;
                }

                bool idle = true;
                if (stats.Sent < count && (pg.Membership?.Members.Length ?? 0) < waitMembers)
                {
                    nextSend = now;
                }
                else if (stats.Sent < count && now >= nextSend)
                {
                    int thisSize = sizes[stats.Sent % sizes.Length];
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer, ProbeMagic);
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), pg.Pid);
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(8), (ulong)(stats.Sent + 1));
                    BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(16), now);
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(24), (uint)thisSize);
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(28), node.NodeId);
                    if (pg.TryMulticast(buffer.AsSpan(0, thisSize)) == SendResult.Ok)
                    {
                        stats.Sent++;
                        if (verbose)
                        {
                            output.Append("sent seq=").Append(stats.Sent).Append('\n');
                        }

                        nextSend = interval > 0 ? nextSend + interval : now;
                        idle = false;
                    }
                }

                while (pg.TryReceive((nodeId, pid, data) => stats.OnDeliver(nodeId, pid, data, verbose, output)))
                {
                    idle = false;
                }

                while (lines.TryDequeue(out string? line))
                {
                    output.Append(line).Append('\n');
                }

                if (output.Length > 0)
                {
                    Console.Out.Write(output.ToString());
                    Console.Out.Flush();
                    output.Clear();
                }

                if (idle)
                {
                    Thread.Sleep(1);
                }
            }

            long duration = MonotonicClock.NowNs() - start;
            Console.WriteLine($"stats sent={stats.Sent} received={stats.Received} bytes={stats.Bytes} gaps={stats.Gaps} reorders={stats.Reorders} foreign={stats.Foreign} duration_ns={duration}");
            Console.Out.Flush();
            pg.Leave();
            Thread.Sleep(200); // let the procleave leave before the node itself does
        }

        return 0;
    }

    private static string List(GroupMember[] members, bool withReason) =>
        string.Join(',', members.Select(m => withReason ? $"{m.NodeId}:{m.Pid}:{(uint)m.Reason}" : $"{m.NodeId}:{m.Pid}"));

    private sealed class Stats
    {
        private readonly Dictionary<(uint, uint), ulong> _next = new();

        public long Sent;
        public long Received;
        public long Bytes;
        public long Gaps;
        public long Reorders;
        public long Foreign;

        public void OnDeliver(uint nodeId, uint pid, ReadOnlySpan<byte> data, bool verbose, System.Text.StringBuilder output)
        {
            Received++;
            Bytes += data.Length;
            if (data.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(data) != ProbeMagic)
            {
                Foreign++;
                if (verbose)
                {
                    output.Append($"recv from={nodeId}:{pid} seq=0 size={data.Length} lat_ns=0\n");
                }

                return;
            }

            ulong seq = BinaryPrimitives.ReadUInt64LittleEndian(data[8..]);
            long sentNs = BinaryPrimitives.ReadInt64LittleEndian(data[16..]);
            ulong next = _next.TryGetValue((nodeId, pid), out ulong n) ? n : 1;
            if (seq > next)
            {
                Gaps += (long)(seq - next);
            }
            else if (seq < next)
            {
                Reorders++;
            }

            if (seq >= next)
            {
                _next[(nodeId, pid)] = seq + 1;
            }

            if (verbose)
            {
                output.Append($"recv from={nodeId}:{pid} seq={seq} size={data.Length} lat_ns={MonotonicClock.NowNs() - sentNs}\n");
            }
        }
    }
}
