using System.Runtime.InteropServices;
using System.Text.Json;
using FastTotem.Hosting;
using FastTotem.Hosting.Config;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;
using FastTotem.Wire;

namespace FastTotem.Cli;

/// <summary>
/// <c>fasttotem run -c corosync.conf [--nodeid N] [--events -|FILE]</c>: runs one ring member until
/// SIGINT/SIGTERM, then leaves the ring the way corosync does (a LEAVE join) and exits 0.
/// </summary>
internal static class RunCommand
{
    private const string Usage = "usage: fasttotem run -c corosync.conf [--nodeid N] [--events -|FILE]";

    public static int Run(string[] args)
    {
        string? configPath = null;
        uint? nodeId = null;
        string? eventsPath = null;
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
                default:
                    return Fail($"unknown argument '{a}'");
            }
        }

        if (configPath == null)
        {
            return Fail("-c corosync.conf is required");
        }

        CorosyncConfig config;
        uint localId;
        try
        {
            config = CorosyncConfig.Load(configPath);
            localId = nodeId ?? config.FindLocalNode()?.NodeId
                ?? throw new CorosyncConfigException("no nodelist entry has a ring0_addr of this host; pass --nodeid", 0, configPath);
        }
        catch (CorosyncConfigException e)
        {
            Console.Error.WriteLine($"fasttotem: {e.Message}");
            return 2;
        }

        using TextWriter? events = eventsPath switch
        {
            null => null,
            "-" => Console.Out,
            _ => new StreamWriter(eventsPath, append: true),
        };

        var log = new RunLog(events);
        UdpTransport transport;
        SrpEngine engine;
        try
        {
            TransportOptions options = TransportOptions.FromConfig(config, localId);
            transport = new UdpTransport(options);
            engine = new SrpEngine(SrpConfigFactory.Create(config, localId), new FileRingSeqStore(config.StateDir));
            Console.Error.WriteLine($"fasttotem: node {localId} on {options.LocalAddress} port {options.Port} ({config.Transport.ToString().ToLowerInvariant()}), {config.Nodes.Count} nodes in the nodelist");
        }
        catch (Exception e) when (e is CorosyncConfigException or TransportException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"fasttotem: {e.Message}");
            return 2;
        }

        using var stop = new ManualResetEventSlim();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        var stack = new NodeStack(engine, VotequorumConfig.FromCorosyncConfig(config, localId), log);
        using (transport)
        using (var driver = new RingDriver(engine, transport, stack, localId))
        {
            driver.Start();
            stop.Wait();
            driver.Stop(leave: true);
        }

        Console.Error.WriteLine("fasttotem: left the ring");
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"fasttotem run: {message}");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    /// <summary>Prints membership to stderr and, with --events, one flushed JSON line per event.</summary>
    private sealed class RunLog(TextWriter? events) : INodeListener
    {
        public void OnSyncComplete(MembRingId ringId)
        {
            Console.Error.WriteLine($"fasttotem: synchronisation completed for ring {ringId}");
            if (events == null)
            {
                return;
            }

            events.WriteLine($"{{\"event\":\"sync-complete\",\"ring\":{{\"rep\":{ringId.Rep},\"seq\":{ringId.Seq}}}}}");
            events.Flush();
        }

        public void OnConfigChange(in SrpEvent ev)
        {
            string kind = ev.ConfigKind == ConfigChangeKind.Regular ? "regular" : "transitional";
            Console.Error.WriteLine($"fasttotem: {kind} configuration ring {ev.RingId}: members [{string.Join(' ', ev.Members.ToArray())}] left [{string.Join(' ', ev.Left.ToArray())}] joined [{string.Join(' ', ev.Joined.ToArray())}]");
            if (events == null)
            {
                return;
            }

            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("event", "config");
                w.WriteString("type", kind);
                w.WriteStartObject("ring");
                w.WriteNumber("rep", ev.RingId.Rep);
                w.WriteNumber("seq", ev.RingId.Seq);
                w.WriteEndObject();
                WriteList(w, "members", ev.Members);
                WriteList(w, "left", ev.Left);
                WriteList(w, "joined", ev.Joined);
                w.WriteEndObject();
            }

            events.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            events.Flush();
        }

        private static void WriteList(Utf8JsonWriter w, string name, ReadOnlySpan<uint> ids)
        {
            w.WriteStartArray(name);
            foreach (uint id in ids)
            {
                w.WriteNumberValue(id);
            }

            w.WriteEndArray();
        }
    }
}
