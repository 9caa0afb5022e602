using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FastTotem.Hosting;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// A group the host left, once its leave is confirmed, belongs to the host alone: the node keeps no reference to it,
/// so its delivery slab (16 MiB by default, pinned) and its doorbell go when the host lets go. The node kept every
/// group ever created until it was disposed, so a host that joined and left groups ran out of memory after a few
/// hundred (about 3.2 GB held after 100 join/leave cycles; OutOfMemoryException from the 200th join on).
/// </summary>
public class GroupLifetimeTests
{
    [Fact]
    public void ALeftGroupIsNotKeptAliveByTheNode()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-lifetime-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        try
        {
            using var node = TotemNode.Create(new TotemNodeOptions
            {
                NodeId = 1,
                Members = [new TotemMember(1, IPAddress.Loopback)],
                Port = port,
                TokenMs = 1000,
                StateDir = dir,
            });
            node.Start();
            var left = new List<WeakReference>();
            for (int i = 0; i < 20; i++)
            {
                left.Add(JoinAndLeave(node, $"churn-{i % 3}"));
            }

            // Each leave is confirmed by the ring shortly after it is sent; then nothing but the host may hold its group.
            Assert.True(TotemNodeTests.WaitFor(() =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return left.All(w => !w.IsAlive);
            }, 10_000), $"{left.Count(w => w.IsAlive)} of {left.Count} left groups are still reachable from the node");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference JoinAndLeave(TotemNode node, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ProcessGroup group = node.JoinGroupAsync(name, new ProcessGroupOptions { Delivery = DeliveryMode.Queue }, timeout.Token)
            .GetAwaiter().GetResult();
        group.Leave();
        return new WeakReference(group);
    }
}
