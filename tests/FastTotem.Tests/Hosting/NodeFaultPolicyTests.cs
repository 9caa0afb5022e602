using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// Evidence at 52f0792 (before SrpLimits): main's NodeFaultPolicyTests.ThreeNodesAtNetmtu20000Carry17KbCpgMessagesToEveryMember,
/// adapted to this tree's API (netmtu through the corosync.conf text; the handler through ProcessGroup.Delivered). Finding C3.
/// </summary>
public class NodeFaultPolicyTests
{
    private static TotemNode[] StartRing(string stateDir, int netMtu)
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var members = Enumerable.Range(1, 3).Select(i => new TotemMember((uint)i, IPAddress.Parse($"127.0.0.{i}"))).ToArray();
        var nodes = new TotemNode[3];
        for (int i = 0; i < 3; i++)
        {
            var options = new TotemNodeOptions
            {
                NodeId = (uint)(i + 1), Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(stateDir, $"n{i + 1}"),
            };
            string text = options.ToCorosyncConf().Replace("\ttoken: 1000\n", $"\ttoken: 1000\n\tnetmtu: {netMtu}\n");
            nodes[i] = TotemNode.FromConfigText(text, (uint)(i + 1));
        }

        foreach (TotemNode n in nodes)
        {
            n.Start();
        }

        return nodes;
    }

    private static bool WaitFor(Func<bool> condition, int ms = 15_000)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < ms)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(10);
        }

        return condition();
    }

    [Fact]
    public async Task ThreeNodesAtNetmtu20000Carry17KbCpgMessagesToEveryMember()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-mtu-").FullName;
        TotemNode[] nodes = StartRing(dir, netMtu: 20_000);
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            var received = new ConcurrentQueue<(uint Node, int Length, byte Tag)>[3];
            var groups = new ProcessGroup[3];
            for (int i = 0; i < 3; i++)
            {
                var log = received[i] = new ConcurrentQueue<(uint, int, byte)>();
                groups[i] = await nodes[i].JoinGroupAsync("mtu").WaitAsync(TimeSpan.FromSeconds(15));
                groups[i].Delivered = (node, pid, data) => log.Enqueue((node, data.Length, data[^1]));
            }

            Assert.True(WaitFor(() => groups.All(g => g.Membership?.Members.Length == 3)), "group membership did not reach 3");
            const int Size = 17 * 1024;
            for (int m = 0; m < 10; m++)
            {
                for (int i = 0; i < 3; i++)
                {
                    byte[] message = new byte[Size];
                    message[^1] = (byte)(10 * i + m);
                    while (groups[i].TryMulticast(message) == SendResult.TryAgain)
                    {
                        Thread.Sleep(1);
                    }
                }
            }

            Assert.True(WaitFor(() => received.All(r => r.Count >= 30)), "not all delivered: " + string.Join(",", received.Select(r => r.Count)));
            var first = received[0].ToArray();
            Assert.Equal(30, first.Length);
            Assert.All(first, r => Assert.Equal(Size, r.Length));
            Assert.Equal(first, received[1].ToArray());
            Assert.Equal(first, received[2].ToArray());
        }
        finally
        {
            foreach (TotemNode n in nodes)
            {
                n.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }
}
