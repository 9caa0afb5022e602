using System.Net;
using System.Net.Sockets;
using FastTotem.Native;

namespace FastTotem.Tests.Native;

/// <summary>
/// ft_group_join racing ft_node_destroy (docs/robustness.md, finding M6): a join that appended to the node's group list while
/// the destroy enumerated it could throw there and leave the node undisposed, its loop thread and socket alive. Each
/// round destroys a running node while another thread joins groups on it as fast as it can: every call returns a
/// code (never FT_ERR_INTERNAL), the joiner ends, the handle is dead and the node's port is free again.
/// </summary>
public unsafe class CAbiJoinDestroyRaceTests
{
    [Fact]
    public void ADestroyRacingJoinsAlwaysDisposesTheNode()
    {
        const int rounds = 4;
        var random = new Random(20261202);
        for (int round = 0; round < rounds; round++)
        {
            string dir = Directory.CreateTempSubdirectory("fasttotem-joindestroy-").FullName;
            int port = 20000 + ((Environment.ProcessId * 7 + (round * 101)) % 20000);
            string conf = Path.Combine(dir, "corosync.conf");
            File.WriteAllText(conf, $"totem {{\n\tversion: 2\n\tcluster_name: jd\n\ttransport: udpu\n\ttoken: 1000\n\tinterface {{\n\t\tlinknumber: 0\n\t\tmcastport: {port}\n\t}}\n}}\n" +
                $"system {{\n\tstate_dir: {dir}\n}}\nnodelist {{\n\tnode {{\n\t\tnodeid: 1\n\t\tring0_addr: 127.0.0.1\n\t}}\n}}\n");
            nint node = 0;
            byte[] path = System.Text.Encoding.UTF8.GetBytes(conf + "\0");
            fixed (byte* p = path)
            {
                Assert.Equal(0, ((delegate* unmanaged<byte*, uint, nint*, int>)(&Exports.NodeCreate))(p, 1, &node));
            }

            Assert.Equal(0, ((delegate* unmanaged<nint, int>)(&Exports.NodeStart))(node));
            nint target = node;
            var codes = new System.Collections.Concurrent.ConcurrentBag<int>();
            int stop = 0;
            var joiner = new Thread(() =>
            {
                for (int k = 0; Volatile.Read(ref stop) == 0; k++)
                {
                    nint group = 0;
                    byte[] name = System.Text.Encoding.ASCII.GetBytes($"g{k % 8}\0");
                    int rc;
                    fixed (byte* n = name)
                    {
                        rc = ((delegate* unmanaged<nint, byte*, uint, nint*, int>)(&Exports.GroupJoin))(target, n, 3000, &group);
                    }

                    codes.Add(rc);
                }
            }) { IsBackground = true };
            joiner.Start();
            // Destroy while joins are going through: after the first one came back, at a random moment.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (!codes.Contains(0) && sw.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(10);
            }

            Thread.Sleep(random.Next(300));
            Assert.Equal(0, ((delegate* unmanaged<nint, int>)(&Exports.NodeDestroy))(node));
            Volatile.Write(ref stop, 1);
            Assert.True(joiner.Join(TimeSpan.FromSeconds(15)), $"round {round}: a join did not return after the destroy");

            Assert.DoesNotContain((int)FtError.Internal, codes);
            Assert.Contains(0, codes); // some joins went through before the destroy
            uint id;
            Assert.Equal((int)FtError.InvalidHandle, ((delegate* unmanaged<nint, uint*, int>)(&Exports.NodeId))(node, &id));

            // The node's socket is closed: its port can be bound again.
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            bool bound = false;
            for (int i = 0; i < 50 && !bound; i++)
            {
                try
                {
                    probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                    bound = true;
                }
                catch (SocketException)
                {
                    Thread.Sleep(100);
                }
            }

            Assert.True(bound, $"round {round}: port {port} still in use after ft_node_destroy: the node was not disposed");
            Directory.Delete(dir, recursive: true);
        }
    }
}
