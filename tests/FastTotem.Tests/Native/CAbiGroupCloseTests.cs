using FastTotem.Native;

namespace FastTotem.Tests.Native;

/// <summary>
/// ft_group_close (C API 3.3, docs/robustness.md finding M11): a left group's handle, and with it the group's slabs (16 MiB
/// each for deliveries and sends by default), lived until ft_node_destroy, so a C host that joined and left groups
/// grew by about 32 MiB a cycle. Closing frees the handle, and the node lets the group go once its leave is confirmed.
/// </summary>
public unsafe class CAbiGroupCloseTests
{
    [Fact]
    public void JoinAndCloseCyclesDoNotAccumulateGroups()
    {
        const int cycles = 40;
        string dir = Directory.CreateTempSubdirectory("fasttotem-close-").FullName;
        int port = 20000 + ((Environment.ProcessId * 13 + 7) % 20000);
        nint node = CAbiTestNode.Create(CAbiTestNode.WriteConf(dir, "gc", port));

        try
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, int>)(&Exports.NodeStart))(node));
            long before = 0;
            for (int i = 0; i < cycles; i++)
            {
                nint group = 0;
                byte[] name = System.Text.Encoding.ASCII.GetBytes($"churn-{i}\0"); // (one pid: a name's leave must be confirmed before it is joined again)
                fixed (byte* n = name)
                {
                    Assert.Equal(0, ((delegate* unmanaged<nint, byte*, uint, nint*, int>)(&Exports.GroupJoin))(node, n, 10_000, &group));
                }

                Assert.Equal(0, ((delegate* unmanaged<nint, int>)(&Exports.GroupClose))(group));
                Assert.Equal((int)FtError.InvalidHandle, ((delegate* unmanaged<nint, int>)(&Exports.GroupLeave))(group));
                Assert.Equal((int)FtError.InvalidHandle, ((delegate* unmanaged<nint, int>)(&Exports.GroupClose))(group));
                if (i == 0)
                {
                    before = Settled();
                }
            }

            // 40 groups kept would hold 40 × 32 MiB of pinned slabs; closed ones go once their leaves are confirmed.
            long after = 0;
            Assert.True(TotemNodeTestsWaitFor(() => (after = Settled()) - before < 8L * 32 * 1024 * 1024),
                $"managed heap grew from {before >> 20} MiB to {after >> 20} MiB over {cycles} join/close cycles");
        }
        finally
        {
            Assert.Equal(0, ((delegate* unmanaged<nint, int>)(&Exports.NodeDestroy))(node));
            Directory.Delete(dir, recursive: true);
        }
    }

    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static bool TotemNodeTestsWaitFor(Func<bool> condition) => FastTotem.Tests.Hosting.TotemNodeTests.WaitFor(condition, 10_000);
}
