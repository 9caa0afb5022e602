using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FastTotem.Interop;

/// <summary>
/// FastTotem's SRP engine in a ring with two real corosync 3.1.7 daemons: membership as the
/// daemons themselves report it (their logs and corosync-cmapctl), not only what FastTotem says.
/// </summary>
public class SrpInteropTests
{
    [SkippableFact]
    public void FastTotemJoinsTwoDaemonsAtTheMembershipLevelAndLeavesCleanly()
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        using var lab = new NetLab();
        LabNode[] nodes = { lab.AddHost(1), lab.AddHost(2), lab.AddHost(3) };
        foreach (LabNode n in nodes)
        {
            lab.CorosyncConf(n, new[] { 1, 2, 3 });
        }

        lab.StartCorosync(nodes[0]);
        lab.StartCorosync(nodes[1]);
        Assert.True(NetLab.WaitForLog(nodes[0], @"Members\[2\]: 1 2", TimeSpan.FromSeconds(15)), "daemons did not form {1,2}");

        long mark = NetLab.LogLength(nodes[0]);
        Process ft = lab.StartFastTotem(nodes[2]);
        Assert.True(NetLab.WaitForLog(nodes[0], @"A new membership \(1\.[0-9a-f]+\) was formed\. Members joined: 3", TimeSpan.FromSeconds(15), mark),
            "daemon 1 never took node 3 into its ring");
        Assert.True(NetLab.WaitForLog(nodes[1], @"Members joined: 3", TimeSpan.FromSeconds(5), 0), "daemon 2 never took node 3 into its ring");
        Assert.Contains("joined", lab.Exec(nodes[1], "corosync-cmapctl", "-g", "runtime.members.3.status"));

        // FastTotem reports the same ring: the daemon logs it in hex, "(1.d)".
        Match ring = Regex.Match(File.ReadAllText(nodes[0].LogFile)[(int)mark..], @"A new membership \(1\.([0-9a-f]+)\) was formed\. Members joined: 3");
        ulong seq = Convert.ToUInt64(ring.Groups[1].Value, 16);
        Assert.True(WaitFor(() => File.Exists(nodes[2].EventsFile) && File.ReadAllText(nodes[2].EventsFile)
            .Contains($"\"type\":\"regular\",\"ring\":{{\"rep\":1,\"seq\":{seq}}},\"members\":[1,2,3]", StringComparison.Ordinal), TimeSpan.FromSeconds(5)),
            "FastTotem did not report ring 1." + seq + " with members [1,2,3]: " + (File.Exists(nodes[2].EventsFile) ? File.ReadAllText(nodes[2].EventsFile) : "no events"));

        // SIGTERM: FastTotem sends corosync's LEAVE and the daemons reform at once (no token timeout).
        mark = NetLab.LogLength(nodes[0]);
        var sw = Stopwatch.StartNew();
        lab.Signal(ft, 15);
        Assert.True(ft.WaitForExit(10_000), "fasttotem did not exit on SIGTERM");
        Assert.Equal(0, ft.ExitCode);
        Assert.True(NetLab.WaitForLog(nodes[0], @"Members left: 3", TimeSpan.FromSeconds(10), mark), "daemon 1 did not reform without node 3");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1.6), $"reform took {sw.Elapsed.TotalMilliseconds} ms: the LEAVE was not honoured (token timeout is 1650 ms)");
    }

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return false;
    }
}
