using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FastTotem.Hosting;
using FastTotem.Config;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;
using Microsoft.Extensions.Logging;

namespace FastTotem.Cli;

/// <summary>
/// <c>fasttotem run -c corosync.conf [--nodeid N] [--events -|FILE] [--drops MS] [--cpg GROUP] [--log-level LEVEL]</c>: runs one ring member until
/// SIGINT/SIGTERM (or, with --cpg, the end of stdin), then leaves the ring the way corosync does (a LEAVE join)
/// and exits 0. After a protocol fault it starts a fresh node (docs/fault-policy.md); exit code 3 when it gives up. With --cpg it joins a CPG group, multicasts each stdin line to it and prints every delivery. With --drops
/// it checks the node's drop counters every MS milliseconds and, when one moved, writes them as a "drops" event.
/// </summary>
internal static class RunCommand
{
    private const string Usage = "usage: fasttotem run -c corosync.conf [--nodeid N] [--events -|FILE] [--drops MS] [--cpg GROUP] [--log-level LEVEL]";
    private const int RestartsPerMinuteMax = 5;

    /// <summary>Exit status after leaving the ring because the cluster switched its crypto settings (corosync-cfgtool -R).</summary>
    internal const int ExitCryptoChanged = 4;

    public static int Run(string[] args)
    {
        string? configPath = null;
        uint? nodeId = null;
        string? eventsPath = null;
        string? group = null;
        int dropsEveryMs = 0;
        LogLevel logLevel = LogLevel.Information;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "-c":
                case "--config":
                    configPath = Next();
                    break;
                case "--nodeid":
                    if (!uint.TryParse(Next(), out uint n) || n == 0)
                    {
                        return Fail("--nodeid needs a positive whole number");
                    }

                    nodeId = n;
                    break;
                case "--events":
                    eventsPath = Next() ?? "";
                    if (eventsPath.Length == 0)
                    {
                        return Fail("--events needs '-' or a file name");
                    }

                    break;
                case "--drops":
                    if (!int.TryParse(Next(), out dropsEveryMs) || dropsEveryMs < 10 || dropsEveryMs > 3_600_000)
                    {
                        return Fail("--drops needs a period in milliseconds, 10 to 3600000");
                    }

                    break;
                case "--cpg":
                    group = Next() ?? "";
                    if (group.Length == 0 || Encoding.UTF8.GetByteCount(group) > 128)
                    {
                        return Fail("--cpg needs a group name of 1 to 128 bytes");
                    }

                    break;
                case "--log-level":
                    if (!RunLogging.TryParseLevel(Next(), out logLevel))
                    {
                        return Fail($"--log-level needs one of {RunLogging.LevelNames}");
                    }

                    break;
                default:
                    return Fail($"unknown argument '{a}'");
            }
        }

        if (configPath == null)
        {
            return Fail("-c corosync.conf is required");
        }

        if (dropsEveryMs > 0 && eventsPath == null)
        {
            return Fail("--drops writes events: it needs --events");
        }

        // The node's control-plane log (membership, sync, faults, transport, drops) as lines on stderr.
        using ILoggerFactory loggerFactory = RunLogging.CreateFactory(logLevel);
        TotemNode node;
        try
        {
            node = TotemNode.FromConfigFile(configPath, nodeId, loggerFactory: loggerFactory);
        }
        catch (Exception e) when (e is CorosyncConfigException or TransportException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"fasttotem: {(e is CorosyncConfigException ? "" : configPath + ": ")}{e.Message}");
            return 2;
        }

        using TextWriter? events = eventsPath switch
        {
            null => null,
            "-" => Console.Out,
            _ => new StreamWriter(eventsPath, append: true),
        };
        var log = new RunLog(events);
        using var stop = new ManualResetEventSlim();
        using var faulted = new ManualResetEventSlim();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });

        // docs/fault-policy.md: after a protocol fault (the node left the ring and stopped) a fresh node with the same
        // settings and state_dir starts 1 s later, at most 5 times in any minute; then run gives up with exit code 3.
        var budget = new RestartBudget(RestartsPerMinuteMax, 60_000_000_000);
        int injectedFaults = InjectedFaults();
        var groupHolder = new GroupHolder();
        Thread? reader = null;
        var nodeHolder = new NodeHolder();
        using Timer? dropsTimer = dropsEveryMs > 0
            ? new Timer(_ => log.OnDrops(nodeHolder.Node), null, dropsEveryMs, dropsEveryMs)
            : null;
        while (true)
        {
            faulted.Reset();
            nodeHolder.Node = node;
            node.RingChanged += log.OnRing;
            node.SyncCompleted += log.OnSync;
            node.RingModeReported += log.OnRingMode;
            node.GatherEntered += log.OnGather;
            node.CryptoReconfigured += _ => stop.Set();
            node.TransportLog += line => Console.Error.WriteLine($"fasttotem: {line}");
            foreach (string warning in node.ConfigWarnings)
            {
                Console.Error.WriteLine($"fasttotem: warning: {warning}");
            }

            node.Faulted += f =>
            {
                log.OnFault(f);
                if (f.Kind == NodeFaultKind.Protocol)
                {
                    faulted.Set();
                }
            };
            if (injectedFaults > 0)
            {
                injectedFaults--;
                InjectFaultAfterFirstSync(node);
            }

            Console.Error.WriteLine(budget.Restarts == 0
                ? $"fasttotem: node {node.NodeId} started from {configPath} ({node.TransportDescription})"
                : $"fasttotem: node {node.NodeId} restarted from {configPath} ({node.TransportDescription}, restart {budget.Restarts})");
            try
            {
                node.OpenStatusSocket(); // <state_dir>/fasttotem-<nodeid>.sock, for fasttotem status
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"fasttotem: warning: no status socket: {e.Message}");
            }

            node.Start();
            if (group != null)
            {
                ProcessGroup? pg = JoinGroup(node, group, log.OnDeliver(group), log.OnMembership, stop, faulted);
                if (pg == null && !stop.IsSet && !faulted.IsSet)
                {
                    node.Dispose();
                    return 1;
                }

                if (pg != null)
                {
                    groupHolder.Group = pg;
                    if (reader == null)
                    {
                        reader = new Thread(() => SendLines(groupHolder, stop)) { IsBackground = true, Name = "stdin" };
                        reader.Start();
                    }
                }
            }

            WaitHandle.WaitAny([stop.WaitHandle, faulted.WaitHandle]);
            if (!faulted.IsSet)
            {
                if (groupHolder.Group is { } leaveGroup)
                {
                    // Leave the group before the ring, so other members see reason LEAVE rather than NODEDOWN.
                    leaveGroup.Leave();
                    Thread.Sleep(300);
                }

                node.Stop(leave: true);
                node.Dispose();
                if (node.LeftForCryptoChange)
                {
                    Console.Error.WriteLine("fasttotem: left the ring: the cluster changed its crypto settings; restart with the new authkey and corosync.conf");
                    return ExitCryptoChanged;
                }

                Console.Error.WriteLine("fasttotem: left the ring");
                return 0;
            }

            groupHolder.Group = null;
            node.Dispose();
            if (!budget.TryRestart(MonotonicClock.NowNs()))
            {
                Console.Error.WriteLine($"fasttotem: giving up: {RestartsPerMinuteMax} restarts within a minute did not keep the node running");
                return 3;
            }

            Console.Error.WriteLine($"fasttotem: node {node.NodeId} faulted; starting a fresh node in 1 s (restart {budget.Restarts} of at most {RestartsPerMinuteMax} a minute)");
            if (stop.Wait(1000))
            {
                return 0;
            }

            try
            {
                node = TotemNode.FromConfigFile(configPath, nodeId, loggerFactory: loggerFactory);
            }
            catch (Exception e) when (e is CorosyncConfigException or TransportException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"fasttotem: cannot restart the node: {e.Message}");
                return 3;
            }
        }
    }

    /// <summary>
    /// Tests of the restart loop only (docs/fault-policy.md): FASTTOTEM_TEST_FAULTS=N makes the first N incarnations of
    /// the node hit a protocol fault right after their first synchronisation. An environment variable of this command,
    /// never read from a configuration file nor by the library.
    /// </summary>
    private static int InjectedFaults() =>
        int.TryParse(Environment.GetEnvironmentVariable("FASTTOTEM_TEST_FAULTS"), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : 0;

    private static void InjectFaultAfterFirstSync(TotemNode node)
    {
        int fired = 0;
        node.SyncCompleted += _ =>
        {
            if (Interlocked.Exchange(ref fired, 1) == 0)
            {
                node.InjectFaultForTesting(new InvalidOperationException("protocol fault injected by FASTTOTEM_TEST_FAULTS"));
            }
        };
    }

    /// <summary>Joins <paramref name="group"/>; null when stopped, faulted or refused (the reason is printed).</summary>
    private static ProcessGroup? JoinGroup(
        TotemNode node, string group, DeliverHandler onDeliver, Action<GroupMembership> onMembership, ManualResetEventSlim stop, ManualResetEventSlim faulted)
    {
        try
        {
            // Both handlers go with the join: the first membership change (this member's own join) and a message
            // sent right after it are printed like every later one.
            Task<ProcessGroup> join = node.JoinGroupAsync(group, onDeliver, new ProcessGroupOptions { MembershipChanged = onMembership });
            while (!join.Wait(100))
            {
                if (stop.IsSet || faulted.IsSet)
                {
                    return null;
                }
            }

            return join.Result;
        }
        catch (AggregateException e)
        {
            if (!faulted.IsSet)
            {
                Console.Error.WriteLine($"fasttotem: cannot join '{group}': {e.InnerException?.Message}");
            }

            return null;
        }
    }

    /// <summary>The current node incarnation, read by the drop-counter timer.</summary>
    private sealed class NodeHolder
    {
        private volatile TotemNode? _node;

        public TotemNode? Node
        {
            get => _node;
            set => _node = value;
        }
    }

    /// <summary>The group of the current node incarnation, read by the stdin thread.</summary>
    private sealed class GroupHolder
    {
        private volatile ProcessGroup? _group;

        public ProcessGroup? Group
        {
            get => _group;
            set => _group = value;
        }
    }

    /// <summary>Each stdin line becomes one CPG message; the end of stdin stops the node.</summary>
    private static void SendLines(GroupHolder holder, ManualResetEventSlim stop)
    {
        string? line;
        while ((line = Console.In.ReadLine()) != null)
        {
            byte[] message = Encoding.UTF8.GetBytes(line);
            SendResult result = holder.Group is { } group ? group.MulticastAsync(message).AsTask().GetAwaiter().GetResult() : SendResult.Closed;
            if (result != SendResult.Ok)
            {
                Console.Error.WriteLine($"fasttotem: line not sent: {result}");
            }
        }

        Thread.Sleep(500); // let the last lines be delivered before leaving
        stop.Set();
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"fasttotem run: {message}");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    /// <summary>Prints membership, sync and deliveries to stderr/stdout and, with --events, one flushed JSON line each.</summary>
    private sealed class RunLog(TextWriter? events)
    {
        private readonly object _gate = new();
        private NodeDropCounters _lastDrops;

        public void OnRing(RingChange r)
        {
            string kind = r.Kind == RingChangeKind.Regular ? "regular" : "transitional";
            Console.Error.WriteLine($"fasttotem: {kind} configuration ring {r.RingId}: members [{string.Join(' ', r.Members)}] left [{string.Join(' ', r.Left)}] joined [{string.Join(' ', r.Joined)}]");
            Emit(w =>
            {
                w.WriteString("event", "config");
                w.WriteString("type", kind);
                WriteRing(w, r.RingId.Rep, r.RingId.Seq);
                WriteList(w, "members", r.Members);
                WriteList(w, "left", r.Left);
                WriteList(w, "joined", r.Joined);
            });
        }

        public void OnFault(NodeFault f)
        {
            string kind = f.Kind switch
            {
                NodeFaultKind.Protocol => "protocol",
                NodeFaultKind.UnconsumedDelivery => "unconsumed",
                _ => "handler",
            };
            Console.Error.WriteLine($"fasttotem: {kind} fault: {f.Message}");
            Emit(w =>
            {
                w.WriteString("event", "fault");
                w.WriteString("kind", kind);
                w.WriteString("message", f.Message);
            });
        }

        /// <summary>Writes the node's drop counters (totals since this node incarnation started) when one moved.</summary>
        public void OnDrops(TotemNode? node)
        {
            if (node == null)
            {
                return;
            }

            NodeDropCounters d;
            try
            {
                d = node.DropCounters;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            lock (_gate)
            {
                if (d == _lastDrops)
                {
                    return;
                }

                _lastDrops = d;
            }

            Emit(w =>
            {
                w.WriteString("event", "drops");
                w.WriteNumber("transport", d.TransportDrops);
                w.WriteNumber("srp_malformed", d.SrpMalformed);
                w.WriteNumber("srp_misattributed", d.SrpMisattributed);
                w.WriteNumber("srp_unlisted", d.SrpUnlisted);
                w.WriteNumber("srp_impossible", d.SrpImpossible);
                w.WriteNumber("totempg", d.TotempgDrops);
                w.WriteNumber("cpg", d.CpgDrops);
                w.WriteNumber("votequorum", d.VotequorumDrops);
                w.WriteNumber("sync", d.SyncDrops);
                w.WriteNumber("unconsumed", d.UnconsumedDeliveries);
            });
        }

        public void OnSync(RingId ring)
        {
            Console.Error.WriteLine($"fasttotem: synchronisation completed for ring {ring}");
            Emit(w =>
            {
                w.WriteString("event", "sync-complete");
                WriteRing(w, ring.Rep, ring.Seq);
            });
        }

        public void OnRingMode(RingMode mode, RingId ring)
        {
            string name = mode == RingMode.Accelerated ? "accelerated" : "standard";
            Console.Error.WriteLine($"fasttotem: ring {ring} runs in {name} mode");
            Emit(w =>
            {
                w.WriteString("event", "ring-mode");
                w.WriteString("mode", name);
                WriteRing(w, ring.Rep, ring.Seq);
            });
        }

        public void OnGather(GatherReason reason, RingId ring)
        {
            string name = GatherReasonNames.Name(reason);
            Console.Error.WriteLine($"fasttotem: ring {ring} re-forming: gather ({name})");
            Emit(w =>
            {
                w.WriteString("event", "gather");
                w.WriteString("reason", name);
                w.WriteNumber("code", (int)reason);
                WriteRing(w, ring.Rep, ring.Seq);
            });
        }

        public DeliverHandler OnDeliver(string group) => (nodeId, pid, data) =>
        {
            string? text = TryUtf8(data);
            if (events == null)
            {
                Console.WriteLine($"[{group}] {nodeId}:{pid}: {text ?? Convert.ToBase64String(data)}");
                return;
            }

            byte[] copy = data.ToArray();
            Emit(w =>
            {
                w.WriteString("event", "deliver");
                w.WriteString("group", group);
                w.WriteNumber("nodeid", nodeId);
                w.WriteNumber("pid", pid);
                w.WriteNumber("size", copy.Length);
                if (text != null)
                {
                    w.WriteString("text", text);
                }
                else
                {
                    w.WriteBase64String("base64", copy);
                }
            });
        };

        public void OnMembership(GroupMembership m)
        {
            Console.Error.WriteLine($"fasttotem: group {m.Group}: members [{string.Join(' ', m.Members.Select(x => $"{x.NodeId}:{x.Pid}"))}] left [{string.Join(' ', m.Left.Select(x => $"{x.NodeId}:{x.Pid}:{x.Reason}"))}] joined [{string.Join(' ', m.Joined.Select(x => $"{x.NodeId}:{x.Pid}:{x.Reason}"))}]");
            Emit(w =>
            {
                w.WriteString("event", "cpg-confchg");
                w.WriteString("group", m.Group);
                WriteMembers(w, "members", m.Members, withReason: false);
                WriteMembers(w, "left", m.Left, withReason: true);
                WriteMembers(w, "joined", m.Joined, withReason: true);
            });
        }

        private void Emit(Action<Utf8JsonWriter> body)
        {
            if (events == null)
            {
                return;
            }

            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }

            lock (_gate)
            {
                events.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
                events.Flush();
            }
        }

        private static string? TryUtf8(ReadOnlySpan<byte> data)
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }

        private static void WriteRing(Utf8JsonWriter w, uint rep, ulong seq)
        {
            w.WriteStartObject("ring");
            w.WriteNumber("rep", rep);
            w.WriteNumber("seq", seq);
            w.WriteEndObject();
        }

        private static void WriteList(Utf8JsonWriter w, string name, uint[] ids)
        {
            w.WriteStartArray(name);
            foreach (uint id in ids)
            {
                w.WriteNumberValue(id);
            }

            w.WriteEndArray();
        }

        private static void WriteMembers(Utf8JsonWriter w, string name, GroupMember[] members, bool withReason)
        {
            w.WriteStartArray(name);
            foreach (GroupMember m in members)
            {
                w.WriteStartObject();
                w.WriteNumber("nodeid", m.NodeId);
                w.WriteNumber("pid", m.Pid);
                if (withReason)
                {
                    w.WriteNumber("reason", (uint)m.Reason);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }
    }
}
