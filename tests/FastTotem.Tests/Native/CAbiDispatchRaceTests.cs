using System.Runtime.InteropServices;
using FastTotem.Native;

namespace FastTotem.Tests.Native;

/// <summary>
/// ft_group_dispatch from two threads on one group (docs/robustness.md, finding M6): the group kept the callback and user pointer
/// of the last caller in shared fields, so one thread's deliveries could reach the other's callback with the other's
/// user pointer, and both drained a single-consumer slab at once. A second concurrent drainer must be refused
/// (FT_ERR_STATE), and every delivery reach exactly one callback, with the user pointer of the thread that drained it.
/// </summary>
public unsafe class CAbiDispatchRaceTests
{
    private const int Messages = 3000;

    [ThreadStatic]
    private static nint t_expectedUser;

    private static int s_mismatches;
    private static int s_delivered;

    [UnmanagedCallersOnly]
    private static void OnDeliver(void* user, uint nodeId, uint pid, byte* data, nuint length)
    {
        if ((nint)user != t_expectedUser)
        {
            Interlocked.Increment(ref s_mismatches);
        }

        Interlocked.Increment(ref s_delivered);
        Thread.SpinWait(20); // widen the window a racing dispatch would use
    }

    [Fact]
    public void TwoThreadsDispatchingOneGroupNeverSeeEachOthersCallbackOrDeliveries()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-dispatch-").FullName;
        int port = 20000 + ((Environment.ProcessId + 7919) % 20000);
        nint node = CAbiTestNode.Create(CAbiTestNode.WriteConf(dir, "race", port));
        nint group = 0;

        try
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, int>)(&Exports.NodeStart))(node));
            fixed (byte* name = "race\0"u8)
            {
                Assert.Equal(0, ((delegate* unmanaged<nint, byte*, uint, nint*, int>)(&Exports.GroupJoin))(node, name, 20000, &group));
            }

            nint joined = group;
            s_mismatches = 0;
            s_delivered = 0;
            int sent = 0;
            int refused = 0;
            int failure = 0;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var go = new ManualResetEventSlim();
            var dispatchers = new Thread[2];
            for (int t = 0; t < 2; t++)
            {
                nint user = 0x1000 * (t + 1);
                dispatchers[t] = new Thread(() =>
                {
                    t_expectedUser = user;
                    go.Wait();
                    var callback = (delegate* unmanaged<void*, uint, uint, byte*, nuint, void>)(&OnDeliver);
                    while (Volatile.Read(ref s_delivered) < Messages && sw.Elapsed < TimeSpan.FromSeconds(60))
                    {
                        int rc = ((delegate* unmanaged<nint, delegate* unmanaged<void*, uint, uint, byte*, nuint, void>, void*, int, int>)(&Exports.GroupDispatch))(
                            joined, callback, (void*)user, 1);
                        if (rc == (int)FtError.State)
                        {
                            Interlocked.Increment(ref refused);
                        }
                        else if (rc < 0)
                        {
                            Volatile.Write(ref failure, rc);
                            return;
                        }
                    }
                }) { IsBackground = true };
                dispatchers[t].Start();
            }

            go.Set();
            int value = 0;
            while (sent < Messages && sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                int rc = ((delegate* unmanaged<nint, byte*, nuint, int>)(&Exports.GroupTryMcast))(group, (byte*)&value, sizeof(int));
                if (rc == 0)
                {
                    sent++;
                    value++;
                }
                else
                {
                    Thread.Sleep(1);
                }
            }

            foreach (Thread t in dispatchers)
            {
                Assert.True(t.Join(TimeSpan.FromSeconds(70)), "a dispatcher hung");
            }

            Thread.Sleep(200);
            Assert.True(failure == 0, $"ft_group_dispatch returned {failure}");
            Assert.Equal(Messages, sent);
            Assert.True(Volatile.Read(ref s_mismatches) == 0,
                $"{s_mismatches} deliveries reached a callback with the other thread's user pointer ({refused} dispatches refused)");
            Assert.Equal(Messages, Volatile.Read(ref s_delivered));
        }
        finally
        {
            ((delegate* unmanaged<nint, int>)(&Exports.NodeDestroy))(node);
            Directory.Delete(dir, recursive: true);
        }
    }
}
