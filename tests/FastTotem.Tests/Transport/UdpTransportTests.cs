using System.Net;
using System.Net.Sockets;
using FastTotem.Config;
using FastTotem.Transport;

namespace FastTotem.Tests.Transport;

/// <summary>udpu sockets on loopback addresses (127.0.0.x): nothing leaves the machine.</summary>
public class UdpTransportTests
{
    private static readonly TransportMember[] Members =
    {
        new(1, IPAddress.Parse("127.0.0.1")),
        new(2, IPAddress.Parse("127.0.0.2")),
    };

    private static int FreePort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static UdpTransport Open(uint nodeId, int port, TransportMember[]? members = null) =>
        new(new TransportOptions
        {
            Kind = TotemTransport.Udpu,
            LocalNodeId = nodeId,
            LocalAddress = (members ?? Members)[nodeId - 1].Address,
            Port = port,
            Members = members ?? Members,
        });

    private static int ReceiveWithin(UdpTransport t, int fd, TimeSpan limit)
    {
        DateTime until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            int got = t.Receive(fd);
            if (got > 0)
            {
                return got;
            }

            Thread.Sleep(1);
        }

        return 0;
    }

    [Fact]
    public void McastGoesFromAnEphemeralPortAndTokensFromTheTotemPort()
    {
        int port = FreePort();
        using UdpTransport a = Open(1, port);
        using UdpTransport b = Open(2, port);
        Assert.NotEqual(port, a.McastSourcePort);
        Assert.NotEqual(0, a.McastSourcePort);

        byte[] mcast = { 0x70, 0xC0, 3, 1, 2, 1, 0, 0, 0 };
        Assert.True(a.TryQueue(mcast, 0));
        a.Flush();
        Assert.Equal(1, ReceiveWithin(b, b.TokenFd, TimeSpan.FromSeconds(2)));
        Assert.Equal(mcast, b.Datagram(0).ToArray());
        Assert.Equal(a.McastSourcePort, b.Source(0).Port);
        Assert.Equal(IPAddress.Parse("127.0.0.1"), b.Source(0).ToIPAddress());

        byte[] token = { 0x70, 0xC0, 3, 0, 0, 1, 0, 0, 0 };
        Assert.True(a.TryQueue(token, 2));
        a.Flush();
        Assert.Equal(1, ReceiveWithin(b, b.TokenFd, TimeSpan.FromSeconds(2)));
        Assert.Equal(token, b.Datagram(0).ToArray());
        Assert.Equal(port, b.Source(0).Port);
        Assert.Equal(2, a.Counters.DatagramsSent);
        Assert.Equal(0, a.Counters.SendErrors);
    }

    [Fact]
    public void DatagramsFromUnlistedAddressesAreDroppedAndCounted()
    {
        int port = FreePort();
        using UdpTransport b = Open(2, port);
        using var stranger = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.9"), 0));
        stranger.Send(new byte[] { 0x70, 0xC0, 3, 1 }, 4, new IPEndPoint(IPAddress.Parse("127.0.0.2"), port));
        Assert.Equal(1, ReceiveWithin(b, b.TokenFd, TimeSpan.FromSeconds(2)));
        Assert.True(b.Datagram(0).IsEmpty);
        Assert.Equal(1, b.Counters.DroppedUnlistedSource);
    }

    [Fact]
    public void UnknownDestinationAndFullQueueAreRefusedNotThrown()
    {
        int port = FreePort();
        using UdpTransport a = Open(1, port);
        Assert.False(a.TryQueue(new byte[10], 99));
        Assert.False(a.TryQueue(new byte[a.SendSlotSize + 1], 0));
        for (int i = 0; i < UdpTransport.SendSlots; i++)
        {
            Assert.True(a.TryQueue(new byte[10], 0));
        }

        Assert.False(a.TryQueue(new byte[10], 0));
        a.Flush();
        Assert.True(a.TryQueue(new byte[10], 0));
    }

    [Fact]
    public void SendAndReceivePathsAllocateNothing()
    {
        int port = FreePort();
        using UdpTransport a = Open(1, port);
        using UdpTransport b = Open(2, port);
        byte[] datagram = new byte[1455];
        datagram[0] = 0x70;
        datagram[1] = 0xC0;

        void RoundTrip()
        {
            for (int i = 0; i < 8; i++)
            {
                a.TryQueue(datagram, i % 2 == 0 ? 0u : 2u);
            }

            a.Flush();
            int seen = 0;
            for (int spin = 0; spin < 100_000 && seen < 8; spin++)
            {
                seen += b.Receive(b.TokenFd);
            }
        }

        for (int i = 0; i < 200; i++)
        {
            RoundTrip();
        }

        // One of three windows must be exactly zero: stray runtime bytes (tier-up under a loaded run) show in one
        // window at most, a real per-round-trip allocation in all of them.
        long allocated = 0;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                RoundTrip();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                break;
            }
        }

        Assert.Equal(0, allocated);
        Assert.True(b.Counters.DatagramsReceived > 8_000, $"received {b.Counters.DatagramsReceived}");
    }
}
