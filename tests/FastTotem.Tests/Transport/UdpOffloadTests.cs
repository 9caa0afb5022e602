using System.Net;
using System.Net.Sockets;
using FastTotem.Config;
using FastTotem.Transport;

namespace FastTotem.Tests.Transport;

/// <summary>
/// UDP GSO and GRO on loopback addresses: a peer that reads plain datagrams (as corosync does) sees exactly what it
/// would see without GSO, and a GRO buffer is cut back into the datagrams it was made of.
/// </summary>
public class UdpOffloadTests
{
    private static readonly TransportMember[] Members =
    {
        new(1, IPAddress.Parse("127.0.0.1")),
        new(2, IPAddress.Parse("127.0.0.2")),
        new(3, IPAddress.Parse("127.0.0.3")),
    };

    private static int FreePort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static UdpTransport Open(uint nodeId, int port, bool gso, bool gro) =>
        new(new TransportOptions
        {
            Kind = TotemTransport.Udpu,
            LocalNodeId = nodeId,
            LocalAddress = Members[nodeId - 1].Address,
            Port = port,
            Members = Members,
            Gso = gso,
            Gro = gro,
        });

    /// <summary>A token visit's worth: full frames, a shorter one (ends a GSO run), more full frames, a token, a short tail.</summary>
    private static List<(byte[] Bytes, uint Destination)> Visit()
    {
        var list = new List<(byte[], uint)>();
        int[] lengths = [1400, 1400, 1400, 1400, 1400, 1400, 700, 1400, 1400, 1400, 1400, 1400, 1400, 1400, 1400, 1400, 1400, 90];
        for (int i = 0; i < lengths.Length; i++)
        {
            var d = new byte[lengths[i]];
            d[0] = 0x70;
            d[1] = 0xC0;
            for (int j = 2; j < d.Length; j++)
            {
                d[j] = (byte)(i * 31 + j);
            }

            list.Add((d, 0));
            if (i == 12)
            {
                list.Add(([0x70, 0xC0, 0, 0, 0, 7, (byte)i], 2)); // a token in the middle of the mcasts (udpu: other socket)
            }
        }

        return list;
    }

    private static List<byte[]> ReceiveAll(UdpTransport t, int expected)
    {
        var got = new List<byte[]>();
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (got.Count < expected && DateTime.UtcNow < until)
        {
            int n = t.Receive(t.TokenFd);
            for (int i = 0; i < n; i++)
            {
                got.Add(t.Datagram(i).ToArray());
            }

            if (n == 0)
            {
                Thread.Sleep(1);
            }
        }

        return got;
    }

    private static List<byte[]> SendVisitAndCollect(bool gso, bool gro, out TransportCounters senderCounters, out TransportCounters receiverCounters)
    {
        int port = FreePort();
        using UdpTransport a = Open(1, port, gso, gro: false);
        using UdpTransport b = Open(2, port, gso: false, gro);
        using UdpTransport c = Open(3, port, gso: false, gro);
        Assert.Equal(gso, a.GsoEnabled);
        Assert.Equal(gro, b.GroEnabled);
        List<(byte[] Bytes, uint Destination)> visit = Visit();
        foreach ((byte[] bytes, uint destination) in visit)
        {
            Assert.True(a.TryQueue(bytes, destination));
        }

        a.Flush();
        List<byte[]> atB = ReceiveAll(b, visit.Count);
        List<byte[]> atC = ReceiveAll(c, visit.Count - 1);
        Assert.Equal(visit.Count - 1, atC.Count); // the token went to node 2 only
        senderCounters = a.Counters;
        receiverCounters = b.Counters;
        return atB;
    }

    [Fact]
    public void GsoOnAndOffDeliverTheSameDatagramsToAPlainReceiver()
    {
        List<byte[]> plain = SendVisitAndCollect(gso: false, gro: false, out TransportCounters plainSender, out _);
        List<byte[]> offloaded = SendVisitAndCollect(gso: true, gro: false, out TransportCounters gsoSender, out TransportCounters receiver);

        Assert.Equal(19, plain.Count);
        Assert.Equal(plain.Count, offloaded.Count);
        // The token travels on the token socket, so it may overtake the mcasts at the receiver; the mcasts keep their order.
        Assert.Equal(plain.Where(d => d.Length != 7).ToList(), offloaded.Where(d => d.Length != 7).ToList());
        Assert.Equal(plain.Single(d => d.Length == 7), offloaded.Single(d => d.Length == 7));

        Assert.Equal(0, plainSender.GsoSends);
        Assert.True(gsoSender.GsoSends >= 4, $"GSO sends: {gsoSender.GsoSends}"); // runs of 7, 10 (and the token alone), per peer
        Assert.Equal(plainSender.DatagramsSent, gsoSender.DatagramsSent);        // counted as the datagrams on the wire
        Assert.True(gsoSender.SendCalls <= plainSender.SendCalls);
        Assert.Equal(0, gsoSender.GsoFallbacks);
        Assert.Equal(0, receiver.GroBuffers);
    }

    [Fact]
    public void AGroReceiverCutsCoalescedBuffersBackIntoTheSameDatagrams()
    {
        List<byte[]> plain = SendVisitAndCollect(gso: false, gro: false, out _, out _);
        List<byte[]> coalesced = SendVisitAndCollect(gso: true, gro: true, out _, out TransportCounters receiver);

        Assert.Equal(plain.Where(d => d.Length != 7).ToList(), coalesced.Where(d => d.Length != 7).ToList());
        Assert.True(receiver.GroBuffers > 0, "loopback hands a GSO buffer to a UDP_GRO socket whole");
        Assert.Equal(plain.Count, receiver.DatagramsReceived);
        Assert.Equal(0, receiver.DroppedGroOverflow);
    }

    [Fact]
    public void ACoalescedBufferSplitsAtItsSegmentSizeWithAShorterLast()
    {
        int port = FreePort();
        using UdpTransport b = Open(2, port, gso: false, gro: true);
        byte[] buffer = new byte[3 * 100 + 40];
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)i;
        }

        Assert.Equal(4, b.SplitForTest(buffer, 100));
        Assert.Equal(buffer.AsSpan(0, 100).ToArray(), b.Datagram(0).ToArray());
        Assert.Equal(buffer.AsSpan(200, 100).ToArray(), b.Datagram(2).ToArray());
        Assert.Equal(buffer.AsSpan(300, 40).ToArray(), b.Datagram(3).ToArray());

        Assert.Equal(1, b.SplitForTest(buffer, 0));
        Assert.Equal(buffer.Length, b.Datagram(0).Length);
        Assert.Equal(1, b.SplitForTest(buffer.AsSpan(0, 100), 100));
    }
}
