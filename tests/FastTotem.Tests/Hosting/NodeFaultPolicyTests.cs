using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// Evidence at 2b4ae9e (before the node machine's fault policy): main's NodeFaultPolicyTests, adapted to this tree's
/// API (the handler is set through ProcessGroup.Delivered; no Faulted event or HandlerFaults counter yet). Findings C4
/// (a throwing delivery handler) and M7 (Stop from a handler on the protocol thread).
/// </summary>
public class NodeFaultPolicyTests
{
    private static TotemNode[] StartRing(string stateDir)
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
            nodes[i] = TotemNode.Create(new TotemNodeOptions
            {
                NodeId = (uint)(i + 1), Members = members, Port = port, TokenMs = 1000, StateDir = Path.Combine(stateDir, $"n{i + 1}"),
            });
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
    public async Task AThrowingDeliveryHandlerIsReportedAndTheNodeCarriesOn()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-fault-").FullName;
        TotemNode[] nodes = StartRing(dir);
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            var groups = new ProcessGroup[3];
            int thrown = 0;
            int othersReceived = 0;
            for (int i = 0; i < 3; i++)
            {
                groups[i] = await nodes[i].JoinGroupAsync("faults").WaitAsync(TimeSpan.FromSeconds(15));
            }

            groups[0].Delivered = (node, pid, data) =>
            {
                Interlocked.Increment(ref thrown);
                throw new FormatException($"a handler bug on message {data[0]}");
            };
            groups[1].Delivered = (node, pid, data) => Interlocked.Increment(ref othersReceived);
            groups[2].Delivered = (node, pid, data) => { };
            Assert.True(WaitFor(() => groups.All(g => g.Membership?.Members.Length == 3)), "group membership did not reach 3");

            for (byte m = 1; m <= 20; m++)
            {
                while (groups[1].TryMulticast(new[] { m }) == SendResult.TryAgain)
                {
                    Thread.Sleep(1);
                }
            }

            Assert.True(WaitFor(() => Volatile.Read(ref thrown) >= 20 && Volatile.Read(ref othersReceived) >= 20),
                $"the throwing handler ran {thrown} times, the other node's {othersReceived}");

            // The node is still a member and still sends: its own message reaches the others.
            int before = Volatile.Read(ref othersReceived);
            Assert.Equal(SendResult.Ok, groups[0].TryMulticast(new byte[] { 99 }));
            Assert.True(WaitFor(() => Volatile.Read(ref othersReceived) > before), "the node with the throwing handler no longer sends");
            Assert.Equal(3, nodes[0].Ring!.Members.Length);
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

    [Fact]
    public async Task StopFromAHandlerOnTheProtocolThreadReturns()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-stop-").FullName;
        TotemNode[] nodes = StartRing(dir);
        bool returned = false;
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            ProcessGroup victimGroup = await nodes[0].JoinGroupAsync("stop").WaitAsync(TimeSpan.FromSeconds(15));
            ProcessGroup sender = await nodes[1].JoinGroupAsync("stop").WaitAsync(TimeSpan.FromSeconds(15));
            int called = 0;
            Exception? stopFromHandler = null;
            victimGroup.Delivered = (node, pid, data) =>
            {
                if (Interlocked.Exchange(ref called, 1) != 0)
                {
                    return;
                }

                try
                {
                    nodes[0].Stop();
                }
                catch (InvalidOperationException e)
                {
                    stopFromHandler = e;
                }

                Volatile.Write(ref returned, true);
            };
            Assert.True(WaitFor(() => victimGroup.Membership?.Members.Length == 2), "group membership did not reach 2");
            Assert.Equal(SendResult.Ok, sender.TryMulticast(new byte[] { 1 }));
            Assert.True(WaitFor(() => Volatile.Read(ref called) == 1), "the handler never ran");
            Assert.True(WaitFor(() => Volatile.Read(ref returned), 5_000), "Stop called from the protocol thread did not return within 5 s");
            Assert.NotNull(stopFromHandler);
        }
        finally
        {
            // A loop thread stuck waiting for itself would hang Dispose too: leave that node behind.
            for (int i = returned ? 0 : 1; i < nodes.Length; i++)
            {
                nodes[i].Dispose();
            }
        }
    }
}
