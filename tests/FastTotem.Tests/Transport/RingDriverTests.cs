using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastTotem.Config;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;

namespace FastTotem.Tests.Transport;

/// <summary>Three real drivers (engine + sockets + loop thread) on 127.0.0.1–3: a live ring in one process.</summary>
public class RingDriverTests
{
    private sealed class Collector : INodeEventSink, IHostWork
    {
        public readonly List<string> Delivered = new();
        public readonly List<(MembRingIdText Ring, uint[] Members)> Regular = new();
        public readonly ConcurrentQueue<byte[]> Outbox = new();

        public void OnEvent(in NodeEvent ev)
        {
            lock (this)
            {
                if (ev.Kind == NodeEventKind.Deliver)
                {
                    Delivered.Add($"{ev.SenderNodeId}:{System.Text.Encoding.ASCII.GetString(ev.Payload)}");
                }
                else if (ev.Kind == NodeEventKind.ConfigChange && ev.ConfigKind == ConfigChangeKind.Regular)
                {
                    Regular.Add((new MembRingIdText(ev.RingId.ToString()), ev.Members.ToArray()));
                }
            }
        }

        public void Run(NodeMachine machine)
        {
            while (Outbox.TryPeek(out byte[]? payload) && machine.TryMulticast(payload) == SendResult.Ok)
            {
                Outbox.TryDequeue(out _);
            }
        }
    }

    private readonly record struct MembRingIdText(string Text);

    [Fact]
    public void ThreeLoopbackNodesFormARingAndAgreeOnOrder()
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        TransportMember[] members =
        {
            new(1, IPAddress.Parse("127.0.0.1")),
            new(2, IPAddress.Parse("127.0.0.2")),
            new(3, IPAddress.Parse("127.0.0.3")),
        };
        uint[] ids = { 1, 2, 3 };
        var collectors = new Collector[3];
        var drivers = new RingDriver[3];
        var transports = new UdpTransport[3];
        try
        {
            for (int i = 0; i < 3; i++)
            {
                uint id = (uint)(i + 1);
                SrpConfig config = SrpConfig.CorosyncDefaults(id, ids, tokenMs: 300, tokenCoefficientMs: 0);
                transports[i] = new UdpTransport(new TransportOptions
                {
                    Kind = TotemTransport.Udpu,
                    LocalNodeId = id,
                    LocalAddress = members[i].Address,
                    Port = port,
                    Members = members,
                });
                collectors[i] = new Collector();
                var machine = new NodeMachine(new SrpEngine(config, new MemoryRingSeqStore())) { HostWork = collectors[i] };
                drivers[i] = new RingDriver(machine, transports[i]) { EventSink = collectors[i] };
                drivers[i].Start($"ring-{id}");
            }

            Assert.True(SpinUntil(() => collectors.All(c => Latest(c)?.Members.Length == 3), TimeSpan.FromSeconds(20)),
                "no 3-member ring: " + string.Join(" | ", collectors.Select(c => Latest(c)?.Members.Length.ToString() ?? "none")));

            for (int m = 0; m < 100; m++)
            {
                for (int i = 0; i < 3; i++)
                {
                    collectors[i].Outbox.Enqueue(System.Text.Encoding.ASCII.GetBytes($"m{m}"));
                    drivers[i].Wake();
                }
            }

            Assert.True(SpinUntil(() => collectors.All(c => Count(c) >= 300), TimeSpan.FromSeconds(20)),
                "not all delivered: " + string.Join(",", collectors.Select(Count)));
            string[] first = Snapshot(collectors[0]);
            Assert.Equal(300, first.Length);
            Assert.Equal(first, Snapshot(collectors[1]));
            Assert.Equal(first, Snapshot(collectors[2]));
            Assert.Equal(Latest(collectors[0])!.Value.Ring, Latest(collectors[1])!.Value.Ring);
            Assert.Equal(Latest(collectors[0])!.Value.Ring, Latest(collectors[2])!.Value.Ring);
        }
        finally
        {
            foreach (RingDriver d in drivers)
            {
                d?.Stop(leave: false);
                d?.Dispose();
            }

            foreach (UdpTransport t in transports)
            {
                t?.Dispose();
            }
        }
    }

    private static (MembRingIdText Ring, uint[] Members)? Latest(Collector c)
    {
        lock (c)
        {
            return c.Regular.Count == 0 ? null : c.Regular[^1];
        }
    }

    private static int Count(Collector c)
    {
        lock (c)
        {
            return c.Delivered.Count;
        }
    }

    private static string[] Snapshot(Collector c)
    {
        lock (c)
        {
            return c.Delivered.ToArray();
        }
    }

    private static bool SpinUntil(Func<bool> condition, TimeSpan timeout)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }
}
