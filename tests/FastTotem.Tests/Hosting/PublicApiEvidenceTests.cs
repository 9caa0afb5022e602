using System.Collections.Concurrent;
using System.Net;
using FastTotem.Hosting;
using FastTotem.Hosting.Config;
using static FastTotem.Tests.Hosting.TotemNodeTests;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// Evidence at 9eaf991 (before 8702c1a's public API): main's PublicApiTests for findings G1/M5 (a cancelled join still
/// joined, a member with no handle) and M4 (options interpolated into corosync.conf text), adapted to this tree's API
/// (JoinGroupAsync without a handler; options through ToCorosyncConf and the parser, the only mapping there was).
/// </summary>
public class PublicApiEvidenceTests
{
    private static readonly TimeSpan Join = TimeSpan.FromSeconds(30);

    /// <summary>Joins given up at once (a cancelled token, a cancellation right after the call) never leave a member
    /// behind: after sentinel joins from every node have been seen everywhere, no observer lists a withdrawn pid.</summary>
    [Fact]
    public async Task ACancelledJoinNeverStaysInAnyView()
    {
        string dir = Directory.CreateTempSubdirectory("fasttotem-api-").FullName;
        TotemNode[] nodes = StartRing(dir);
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Ring?.Members.Length == 3)), "no 3-node ring");
            var observers = new ProcessGroup[3];
            for (int i = 0; i < 3; i++)
            {
                observers[i] = await nodes[i].JoinGroupAsync("ghost", new ProcessGroupOptions { Pid = 900u + (uint)i }).WaitAsync(Join);
            }

            // Pre-cancelled: refused at once.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                nodes[0].JoinGroupAsync("ghost", new ProcessGroupOptions { Pid = 1000 }, new CancellationToken(canceled: true)));
            var withdrawn = new List<uint> { 1000 };

            // Cancelled right after the call, from each node.
            for (int k = 0; k < 3; k++)
            {
                uint pid = 1001u + (uint)k;
                using var cts = new CancellationTokenSource();
                Task<ProcessGroup> join = nodes[k].JoinGroupAsync("ghost", new ProcessGroupOptions { Pid = pid }, cts.Token);
                cts.Cancel();
                try
                {
                    ProcessGroup won = await join.WaitAsync(Join);
                    won.Leave();
                }
                catch (OperationCanceledException)
                {
                    withdrawn.Add(pid);
                }
            }

            var sentinels = new ProcessGroup[3];
            for (int i = 0; i < 3; i++)
            {
                sentinels[i] = await nodes[i].JoinGroupAsync("ghost", new ProcessGroupOptions { Pid = 950u + (uint)i }).WaitAsync(Join);
            }

            Assert.True(WaitFor(() => observers.All(o => o.Membership!.Members.Count(m => m.Pid >= 950 && m.Pid < 960) == 3)), "sentinels not seen everywhere");
            Thread.Sleep(1000); // let anything still on its way arrive
            for (int i = 0; i < 3; i++)
            {
                GroupMember[] final = observers[i].Membership!.Members;
                Assert.True(!final.Any(m => withdrawn.Contains(m.Pid)),
                    $"observer {i + 1} lists withdrawn pids {string.Join(",", final.Where(m => withdrawn.Contains(m.Pid)).Select(m => m.Pid))}");
            }
        }
        finally
        {
            DisposeRing(nodes, dir);
        }
    }

    /// <summary>A cluster name and a state_dir with corosync.conf syntax characters stay values.</summary>
    [Fact]
    public void TypedOptionsMapStraightToSettings()
    {
        var members = new[] { new TotemMember(1, IPAddress.Parse("10.0.0.1")), new TotemMember(2, IPAddress.Parse("10.0.0.2"), 3) };
        var options = new TotemNodeOptions
        {
            NodeId = 2,
            Members = members,
            ClusterName = "a}\nnodelist {\n\tnode { nodeid: 9",
            StateDir = "/tmp/x # not a comment }",
            Port = 6000,
            TokenMs = 1234,
        };
        CorosyncConfig c = CorosyncConfig.Parse(options.ToCorosyncConf());
        Assert.Equal("a}\nnodelist {\n\tnode { nodeid: 9", c.ClusterName);
        Assert.Equal("/tmp/x # not a comment }", c.StateDir);
        Assert.Equal(2, c.Nodes.Count);
    }
}
