using System.Net;
using System.Net.Sockets;
using FastTotem.Native;

namespace FastTotem.Tests.Native;

/// <summary>
/// ft_group_join racing ft_node_destroy (docs/robustness.md, finding M6). Unserialised, the two went wrong two ways: a join
/// that appended to the node's group list while the destroy walked it made the destroy throw ("Collection was
/// modified"), fail with FT_ERR_INTERNAL and leave the node undisposed; and a join confirmed just before the node
/// stopped registered its handle after the destroy had freed the others, so a handle of a destroyed node stayed live.
/// Each round destroys a running node while four threads join (and leave) groups on it as fast as they can: the destroy
/// succeeds, no call returns FT_ERR_INTERNAL, the joiners end, the node handle and every group handle a join handed
/// out are dead, and the node's port is free again.
/// </summary>
public unsafe class CAbiJoinDestroyRaceTests
{
    [Fact]
    public void ADestroyRacingJoinsAlwaysDisposesTheNode()
    {
        const int rounds = 10;
        const int joinerCount = 4;
        var random = new Random(20261202);
        for (int round = 0; round < rounds; round++)
        {
            string dir = Directory.CreateTempSubdirectory("fasttotem-joindestroy-").FullName;
            int port = 20000 + ((Environment.ProcessId * 7 + (round * 101)) % 20000);
            // Small slabs: a left group's handle (and its slab) lives until the destroy.
            var config = new Exports.NodeConfig { Size = (uint)sizeof(Exports.NodeConfig), NodeId = 1, PinCpu = -1, DeliveryBytes = 4096 };
            nint node = CAbiTestNode.CreateEx(CAbiTestNode.WriteConf(dir, "jd", port), config);
            Assert.Equal(0, ((delegate* unmanaged<nint, int>)(&Exports.NodeStart))(node));
            nint target = node;
            var codes = new System.Collections.Concurrent.ConcurrentBag<int>();
            var handles = new System.Collections.Concurrent.ConcurrentBag<nint>();
            int stop = 0;
            var joiners = new Thread[joinerCount];
            for (int j = 0; j < joinerCount; j++)
            {
                int me = j;
                joiners[j] = new Thread(() =>
                {
                    for (int k = 0; Volatile.Read(ref stop) == 0; k++)
                    {
                        nint group = 0;
                        byte[] name = System.Text.Encoding.ASCII.GetBytes($"g{me}-{k % 8}\0");
                        int rc;
                        fixed (byte* n = name)
                        {
                            rc = ((delegate* unmanaged<nint, byte*, uint, nint*, int>)(&Exports.GroupJoin))(target, n, 3000, &group);
                        }

                        codes.Add(rc);
                        if (rc == 0)
                        {
                            handles.Add(group);
                            codes.Add(((delegate* unmanaged<nint, int>)(&Exports.GroupLeave))(group)); // frees its CPG slot
                        }
                    }
                }) { IsBackground = true };
                joiners[j].Start();
            }

            // Destroy while joins are going through: after the first one came back, at a random moment.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (!codes.Contains(0) && sw.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(10);
            }

            Thread.Sleep(random.Next(300));
            int destroyed = ((delegate* unmanaged<nint, int>)(&Exports.NodeDestroy))(node);
            string destroyError = destroyed == 0 ? "" : CAbiTestNode.LastError();
            Volatile.Write(ref stop, 1);
            foreach (Thread t in joiners)
            {
                Assert.True(t.Join(TimeSpan.FromSeconds(15)), $"round {round}: a join did not return after the destroy");
            }

            Assert.True(destroyed == 0, $"round {round}: ft_node_destroy returned {destroyed} after {handles.Count} joins: {destroyError}");
            Assert.DoesNotContain((int)FtError.Internal, codes);
            Assert.NotEmpty(handles); // some joins went through before the destroy
            int live = handles.Count(h => ((delegate* unmanaged<nint, int>)(&Exports.GroupLeave))(h) != (int)FtError.InvalidHandle);
            Assert.True(live == 0, $"round {round}: {live} of {handles.Count} group handles still live after ft_node_destroy");
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
