using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FastTotem.Interop;

/// <summary>
/// A FastTotem node (out/fasttotem run) in rings with real corosync 3.1.7 daemons. Every assertion reads
/// what the daemons say (their logs, corosync-cmapctl, corosync-quorumtool) as well as FastTotem's events.
/// token: 1000 keeps it quick: with 3 nodes the token timeout is 1650 ms and consensus 1980 ms.
/// </summary>
public class LiveNodeInteropTests
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void JoinsTwoDaemonsWhichCountItsVoteAndFinishSync()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 1, 2 }, fastTotem: new[] { 3 });
        ulong seq = AssertDaemonsSee(n[0], "1 2 3");
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[3\]: 1 2 3", FormTimeout), "daemon 2 never listed 3 members");
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[3\]: 1 2 3[^\n]*\n(.*\n)*.*Completed service synchronization", FormTimeout), "daemon 2 did not complete sync");
        foreach (LabNode d in new[] { n[0], n[1] })
        {
            Assert.Contains("joined", lab.Exec(d, "corosync-cmapctl", "-g", "runtime.members.3.status"));
            string quorum = lab.Exec(d, "corosync-quorumtool", "-s");
            Assert.Matches(@"Total votes:\s+3", quorum);
            Assert.Matches(@"(?m)^\s+3\s+1\s", quorum);
        }

        AssertFastTotemEvents(n[2], 1, seq, new uint[] { 1, 2, 3 });
        Assert.Equal("interface-change", GatherReasons(n[2])[0]);
    }

    [SkippableFact]
    public void StopsAndRestartsWhileTheDaemonsReform()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 1, 2 }, fastTotem: new[] { 3 });
        AssertDaemonsSee(n[0], "1 2 3");

        long mark = NetLab.LogLength(n[0]);
        Process ft = n[2].FastTotem!;
        lab.Signal(ft, 15);
        Assert.True(ft.Finished(10_000), "fasttotem did not exit on SIGTERM");
        Assert.Equal(0, ft.ExitCode);
        Assert.True(NetLab.WaitForLog(n[0], @"Members\[2\]: 1 2", TimeSpan.FromSeconds(1.6), mark),
            "the daemons did not reform within the token timeout: the LEAVE was not honoured");

        mark = NetLab.LogLength(n[0]);
        File.Delete(n[2].EventsFile);
        lab.StartFastTotem(n[2]);
        ulong seq = AssertDaemonsSee(n[0], "1 2 3", mark);
        AssertFastTotemEvents(n[2], 1, seq, new uint[] { 1, 2, 3 });
    }

    [SkippableFact]
    public void SurvivesADaemonKillAndItsRestart()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 1, 2 }, fastTotem: new[] { 3 });
        ulong before = AssertDaemonsSee(n[0], "1 2 3");

        long mark2 = NetLab.LogLength(n[1]);
        long eventsMark = new FileInfo(n[2].EventsFile).Length;
        lab.Signal(n[0].Corosync!, 9);
        n[0].Corosync!.Finished(5_000);
        // Token loss (1650 ms) + consensus (1980 ms) + slack.
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[2\]: 2 3", TimeSpan.FromSeconds(8), mark2), "daemon 2 and FastTotem did not re-form");
        Match m = Regex.Match(File.ReadAllText(n[1].LogFile)[(int)mark2..], @"A new membership \(2\.([0-9a-f]+)\) was formed");
        Assert.True(m.Success);
        ulong survivorSeq = Convert.ToUInt64(m.Groups[1].Value, 16);
        AssertFastTotemEvents(n[2], 2, survivorSeq, new uint[] { 2, 3 }, eventsMark);

        // Why the ring re-formed: FastTotem lost the token itself, or heard daemon 2's join first.
        string[] reasons = GatherReasons(n[2], eventsMark);
        Assert.True(reasons.Length > 0 && reasons[0] is "token-lost-operational" or "join-operational",
            "gather reasons after the kill: " + string.Join(", ", reasons));

        long mark1 = NetLab.LogLength(n[0]);
        lab.StartCorosync(n[0]);
        ulong after = AssertDaemonsSee(n[0], "1 2 3", mark1);
        Assert.True(after > before && after > survivorSeq, $"ring seq did not grow: {before} → {survivorSeq} → {after}");
        AssertFastTotemEvents(n[2], 1, after, new uint[] { 1, 2, 3 });
    }

    [SkippableFact]
    public void LeadsTheRingWhenItHasTheLowestNodeId()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 2, 3 }, fastTotem: new[] { 1 });
        Assert.True(NetLab.WaitForLog(n[1], @"A new membership \(1\.[0-9a-f]+\) was formed\. Members joined: 1", FormTimeout),
            "the daemons never followed a ring made by FastTotem (rep 1)");
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[3\]: 1 2 3", FormTimeout));
        Assert.True(NetLab.WaitForLog(n[2], @"Members\[3\]: 1 2 3[^\n]*\n(.*\n)*.*Completed service synchronization", FormTimeout));
        Match m = Regex.Match(File.ReadAllText(n[1].LogFile), @"A new membership \(1\.([0-9a-f]+)\) was formed\. Members joined: 1");
        AssertFastTotemEvents(n[0], 1, Convert.ToUInt64(m.Groups[1].Value, 16), new uint[] { 1, 2, 3 });

        // The rep sends merge detect while idle; the daemons stay in this ring (no new membership for 3 s).
        long mark = NetLab.LogLength(n[1]);
        Thread.Sleep(3000);
        Assert.DoesNotMatch("A new membership", File.ReadAllText(n[1].LogFile)[(int)mark..]);
    }

    [SkippableFact]
    public void OneDaemonAndTwoFastTotemNodesSynchronise()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 2 }, fastTotem: new[] { 1, 3 });
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[3\]: 1 2 3[^\n]*\n(.*\n)*.*Completed service synchronization", FormTimeout),
            "the daemon did not synchronise with two FastTotem nodes");
        string log = File.ReadAllText(n[1].LogFile);
        int formed = log.IndexOf("Members[3]: 1 2 3", StringComparison.Ordinal);
        Match m = Regex.Matches(log[..formed], @"A new membership \((\d+)\.([0-9a-f]+)\) was formed")[^1];
        uint rep = uint.Parse(m.Groups[1].Value);
        ulong seq = Convert.ToUInt64(m.Groups[2].Value, 16);
        AssertFastTotemEvents(n[0], rep, seq, new uint[] { 1, 2, 3 });
        AssertFastTotemEvents(n[2], rep, seq, new uint[] { 1, 2, 3 });
    }

    [SkippableFact]
    public void PartitionsAndMerges()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 1, 2 }, fastTotem: new[] { 3 });
        AssertDaemonsSee(n[0], "1 2 3");

        // Cut daemon 1 off from daemon 2 and FastTotem.
        long mark1 = NetLab.LogLength(n[0]);
        long mark2 = NetLab.LogLength(n[1]);
        lab.Cut(n[0], n[1], n[2]);
        Assert.True(NetLab.WaitForLog(n[0], @"Members\[1\]: 1\n", TimeSpan.FromSeconds(10), mark1), "daemon 1 did not form its own ring");
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[2\]: 2 3", TimeSpan.FromSeconds(10), mark2), "daemon 2 and FastTotem did not form their ring");

        mark1 = NetLab.LogLength(n[0]);
        mark2 = NetLab.LogLength(n[1]);
        lab.Heal(n[0]);
        ulong seq = AssertDaemonsSee(n[0], "1 2 3", mark1);
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[3\]: 1 2 3", FormTimeout, mark2));
        AssertFastTotemEvents(n[2], 1, seq, new uint[] { 1, 2, 3 });
    }

    [SkippableFact]
    public void FivePercentLossCausesNoReconfiguration()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 1, 2 }, fastTotem: new[] { 3 });
        AssertDaemonsSee(n[0], "1 2 3");
        Thread.Sleep(1000);
        long mark = NetLab.LogLength(n[0]);
        long eventsMark = new FileInfo(n[2].EventsFile).Length;
        lab.Loss(n[2], 5);

        // Traffic while lossy: a CPG client on daemon 1 keeps the ring busy, so mcasts are lost and retransmitted.
        Process probe = lab.StartInNamespace(n[0], Repo.CpgProbe, "-g", "loss", "-n", "20000", "-r", "500", "-s", "200", "-t", "30");
        Assert.True(probe.Finished(40_000));
        lab.Heal(n[2]);
        string log = File.ReadAllText(n[0].LogFile)[(int)mark..];
        Assert.DoesNotMatch("A new membership", log);
        Assert.Equal(eventsMark, new FileInfo(n[2].EventsFile).Length);
        Assert.Matches(@"Retransmit List|retransmit", log + File.ReadAllText(n[1].LogFile)); // loss really happened
    }

    [SkippableFact]
    public void FormsOverUdpMulticast()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 1, 2 }, fastTotem: new[] { 3 }, transport: "udp");
        ulong seq = AssertDaemonsSee(n[0], "1 2 3");
        AssertFastTotemEvents(n[2], 1, seq, new uint[] { 1, 2, 3 });
    }

    [SkippableFact]
    public void FormsOverUdpuWithIpv6()
    {
        using var lab = Lab(out LabNode[] n, daemons: new[] { 1, 2 }, fastTotem: new[] { 3 }, ipv6: true);
        ulong seq = AssertDaemonsSee(n[0], "1 2 3");
        AssertFastTotemEvents(n[2], 1, seq, new uint[] { 1, 2, 3 });
    }

    private static NetLab Lab(out LabNode[] nodes, int[] daemons, int[] fastTotem, string transport = "udpu", bool ipv6 = false)
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        var lab = new NetLab();
        try
        {
            int count = daemons.Length + fastTotem.Length;
            nodes = new LabNode[count];
            for (int i = 1; i <= count; i++)
            {
                nodes[i - 1] = lab.AddHost(i);
            }

            int[] all = Enumerable.Range(1, count).ToArray();
            foreach (LabNode node in nodes)
            {
                lab.CorosyncConf(node, all, transport, ipv6: ipv6);
            }

            foreach (int d in daemons)
            {
                lab.StartCorosync(nodes[d - 1]);
            }

            if (daemons.Length > 1)
            {
                string expect = string.Join(' ', daemons);
                Assert.True(NetLab.WaitForLog(nodes[daemons[0] - 1], $@"Members\[{daemons.Length}\]: {expect}", FormTimeout), "daemons did not form their ring");
            }

            foreach (int f in fastTotem)
            {
                lab.StartFastTotem(nodes[f - 1]);
            }

            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the daemon to list <paramref name="members"/> and finish sync; returns the ring seq it logged.</summary>
    internal static ulong AssertDaemonsSee(LabNode daemon, string members, long from = 0)
    {
        int count = members.Split(' ').Length;
        Assert.True(NetLab.WaitForLog(daemon, $@"Members\[{count}\]: {members}\n(.*\n)*.*Completed service synchronization", FormTimeout, from),
            $"daemon {daemon.Id} never completed sync with members {members}");
        string text = File.ReadAllText(daemon.LogFile)[(int)from..];
        MatchCollection rings = Regex.Matches(text, @"A new membership \((\d+)\.([0-9a-f]+)\) was formed");
        Assert.NotEmpty(rings);
        return Convert.ToUInt64(rings[^1].Groups[2].Value, 16);
    }

    /// <summary>The reasons of FastTotem's "gather" events (a ring re-forming), in order, from byte <paramref name="from"/>.</summary>
    private static string[] GatherReasons(LabNode node, long from = 0)
    {
        using var fs = new FileStream(node.EventsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        fs.Seek(Math.Min(from, fs.Length), SeekOrigin.Begin);
        return new StreamReader(fs).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "gather")
            .Select(e => e.GetProperty("reason").GetString()!)
            .ToArray();
    }

    /// <summary>FastTotem's --events show the same regular ring with the same members, and sync completing on it.</summary>
    internal static void AssertFastTotemEvents(LabNode node, uint rep, ulong seq, uint[] members, long from = 0)
    {
        var sw = Stopwatch.StartNew();
        string last = "";
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (File.Exists(node.EventsFile))
            {
                using var fs = new FileStream(node.EventsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                fs.Seek(Math.Min(from, fs.Length), SeekOrigin.Begin);
                last = new StreamReader(fs).ReadToEnd();
                bool regular = false;
                bool synced = false;
                foreach (string line in last.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    using JsonDocument doc = JsonDocument.Parse(line);
                    JsonElement e = doc.RootElement;
                    JsonElement ring = e.GetProperty("ring");
                    if (ring.GetProperty("rep").GetUInt32() != rep || ring.GetProperty("seq").GetUInt64() != seq)
                    {
                        continue;
                    }

                    if (e.GetProperty("event").GetString() == "config" && e.GetProperty("type").GetString() == "regular")
                    {
                        regular = e.GetProperty("members").EnumerateArray().Select(x => x.GetUInt32()).SequenceEqual(members);
                    }
                    else if (e.GetProperty("event").GetString() == "sync-complete")
                    {
                        synced = true;
                    }
                }

                if (regular && synced)
                {
                    return;
                }
            }

            Thread.Sleep(100);
        }

        Assert.Fail($"node {node.Id} did not report ring {rep}.{seq} with members [{string.Join(',', members)}] and sync-complete:\n{last}");
    }
}
