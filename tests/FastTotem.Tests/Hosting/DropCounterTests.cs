using System.Net;
using System.Net.Sockets;
using FastTotem.Hosting;
using FastTotem.Wire;

namespace FastTotem.Tests.Hosting;

/// <summary>The host reads every drop of a live node (docs/robustness.md, finding M8): forged datagrams over loopback show up.</summary>
public class DropCounterTests
{
    [Fact]
    public void ForgedDatagramsAreCountedWhereTheHostCanSeeThem()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-drops-").FullName;
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        try
        {
            using TotemNode node = TotemNode.Create(new TotemNodeOptions
            {
                NodeId = 1,
                Members = [new TotemMember(1, IPAddress.Loopback), new TotemMember(2, IPAddress.Parse("127.0.0.2"))],
                Port = port,
                TokenMs = 1000,
                StateDir = dir,
            });
            node.Start();
            var target = new IPEndPoint(IPAddress.Loopback, port);

            // From an address outside the nodelist: the transport drops it (block_unlisted_ips).
            using (var stranger = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.9"), 0)))
            {
                stranger.Send(new byte[40], target);
            }

            // From node 2's address, a join whose proc list names a nodeid outside the nodelist.
            var join = new MembJoin { Header = new TotemHeader(MessageType.MembJoin, 2), SystemFrom = 2, RingSeq = 1 };
            byte[] d = new byte[MembJoinCodec.GetEncodedLength(2, 0)];
            MembJoinCodec.TryEncode(join, [2, 77], [], d, out _);
            using (var peer = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0)))
            {
                peer.Send(d, target);
            }

            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < 10_000 && (node.DropCounters.TransportDrops == 0 || node.DropCounters.SrpUnlisted == 0))
            {
                Thread.Sleep(20);
            }

            Assert.Equal(1, node.DropCounters.TransportDrops);
            Assert.Equal(1, node.DropCounters.SrpUnlisted);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
