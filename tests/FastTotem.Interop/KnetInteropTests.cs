using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FastTotem.Interop;

/// <summary>
/// FastTotem on knet with real corosync 3.1.7 daemons configured as pcs would: transport knet, aes256 + sha256, one
/// shared /etc/corosync/authkey, ring0_addr host names. Every assertion reads what the daemons say (logs,
/// corosync-cfgtool, corosync-quorumtool) as well as FastTotem's events and output.
/// </summary>
public class KnetInteropTests
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(30);
    private readonly Xunit.Abstractions.ITestOutputHelper _out;

    public KnetInteropTests(Xunit.Abstractions.ITestOutputHelper output) => _out = output;

    [SkippableFact]
    public void JoinsTwoPcsShapedDaemonsWithAes256Sha256()
    {
        using NetLab lab = Lab(out LabNode[] n, new KnetLabOptions());
        ulong seq = LiveNodeInteropTests.AssertDaemonsSee(n[0], "1 2 3");
        Assert.True(NetLab.WaitForLog(n[1], @"Members\[3\]: 1 2 3[^\n]*\n(.*\n)*.*Completed service synchronization", FormTimeout), "daemon 2 did not complete sync");
        foreach (LabNode d in new[] { n[0], n[1] })
        {
            string quorum = lab.Exec(d, "corosync-quorumtool", "-s");
            Assert.Matches(@"Total votes:\s+3", quorum);
            Assert.Matches(@"(?m)^\s+3\s+1\s", quorum);
            string status = lab.Exec(d, "corosync-cfgtool", "-s");
            Assert.Contains("transport knet", status);
            Assert.Matches(@"nodeid:\s+3:\s+connected", status);
            string links = WaitFor(() => lab.Exec(d, "corosync-cfgtool", "-n"), @"mtu: 1397", TimeSpan.FromSeconds(10));
            Assert.Matches(@"nodeid: 3 reachable\s+LINK: 0 udp \([^)]*\) enabled connected mtu: 1397", links);
        }

        LiveNodeInteropTests.AssertFastTotemEvents(n[2], 1, seq, new uint[] { 1, 2, 3 });
        string output = NetLab.FastTotemOutput(n[2]);
        Assert.Contains("knet, 1 link(s), link_mode passive, crypto aes256/sha256", output);
        Assert.Matches(@"knet: host 1 link 0 is up", output);
        Assert.Matches(@"knet: PMTUD on host [12] link 0: data MTU 1397", output);
    }

    [SkippableFact]
    public void JoinsWithoutCryptoOverIpv6()
    {
        using NetLab lab = Lab(out LabNode[] n, new KnetLabOptions { Crypto = false, Ipv6 = true, TokenMs = 1000 });
        ulong seq = LiveNodeInteropTests.AssertDaemonsSee(n[0], "1 2 3");
        string links = WaitFor(() => lab.Exec(n[0], "corosync-cfgtool", "-n"), @"nodeid: 3 reachable", TimeSpan.FromSeconds(10));
        Assert.Matches(@"nodeid: 3 reachable\s+LINK: 0 udp \(fd00:[^)]*\) enabled connected", links);
        LiveNodeInteropTests.AssertFastTotemEvents(n[2], 1, seq, new uint[] { 1, 2, 3 });
        Assert.Matches(@"knet: PMTUD on host [12] link 0: data MTU 1426", NetLab.FastTotemOutput(n[2]));
    }

    [SkippableFact]
    public void AWrongAuthkeyIsNeverAdmittedAndBothSidesSayWhy()
    {
        using NetLab lab = Lab(out LabNode[] n, new KnetLabOptions { TokenMs = 1000 }, fastTotemKey: "wrong");
        Thread.Sleep(8000);
        string log1 = File.ReadAllText(n[0].LogFile);
        Assert.DoesNotMatch(@"Members\[3\]", log1);
        Assert.Matches(@"Unable to decrypt|Digest does not match", log1);
        Assert.DoesNotMatch(@"nodeid:\s+3:\s+connected", lab.Exec(n[0], "corosync-cfgtool", "-s"));
        string output = WaitForText(() => NetLab.FastTotemOutput(n[2]), "failed authentication", TimeSpan.FromSeconds(10));
        Assert.Matches(@"knet: dropped in the last 5 s: \d+ failed authentication \(BadHmac", output);
        Assert.DoesNotContain("is up", output);
    }

    [SkippableFact]
    public void PassiveLinkFailsOverAndBackUnderCpgTrafficWithoutAMembershipChange()
    {
        // Two links, link 0 preferred (priority 2). FastTotem on node 3 receives a CPG stream from daemon 1's
        // libcpg program while its link 0 interface goes down for 10 s, 15 s after the links came up.
        const int messages = 1000; // 50 s at 20/s: the stream outlasts the whole fail-over and fail-back
        using NetLab lab = Lab(out LabNode[] n, new KnetLabOptions { LinkPriorities = new[] { 2, 1 } }, twoLinks: true,
            fastTotemArgs: new[] { "cpg", "-c", "/etc/corosync/corosync.conf", "--wait-ring", "3", "-g", "failover", "-e", $"{messages}", "-t", "150" });
        DateTime started = DateTime.UtcNow;
        LiveNodeInteropTests.AssertDaemonsSee(n[0], "1 2 3");
        long mark = NetLab.LogLength(n[0]);
        Process sender = lab.StartInNamespace(n[0], Repo.CpgProbe, "-g", "failover", "-n", $"{messages}", "-s", "1024", "-r", "20", "-m", "2", "-t", "150");
        Thread.Sleep(TimeSpan.FromSeconds(18) - (DateTime.UtcNow - started));
        (long l0, long l1) s0 = RxData(lab, n[0]);
        Thread.Sleep(3000);
        (long l0, long l1) s1 = RxData(lab, n[0]);
        lab.SetLink0(n[2], up: false);
        Thread.Sleep(10_000);
        (long l0, long l1) s2 = RxData(lab, n[0]);
        lab.SetLink0(n[2], up: true);
        WaitFor(() => lab.Exec(n[0], "corosync-cfgtool", "-n"), @"nodeid: 3 reachable\s+LINK: 0 udp \([^)]*\) enabled connected", TimeSpan.FromSeconds(15));
        Thread.Sleep(3000);
        (long l0, long l1) s3 = RxData(lab, n[0]);
        Thread.Sleep(4000);
        (long l0, long l1) s4 = RxData(lab, n[0]);
        Assert.False(n[2].FastTotem!.HasExited, "FastTotem finished before the fail-back was measured");
        string since = File.ReadAllText(n[0].LogFile)[(int)mark..];
        Assert.False(since.Contains("A new membership", StringComparison.Ordinal),
            "the ring re-formed:\n" + string.Join('\n', since.Split('\n').Where(l => Regex.IsMatch(l, "link: [01]|is down|is up|membership|lost|Retransmit|entering|FAILED|failed")).Take(60))
            + "\n--- FastTotem:\n" + NetLab.FastTotemOutput(n[2]));
        Assert.True(n[2].FastTotem!.Finished(60_000), "FastTotem did not receive every message:\n" + NetLab.FastTotemOutput(n[2]));
        Assert.Matches($@"stats sent=0 received={messages} bytes=\d+ gaps=0 reorders=0", NetLab.FastTotemOutput(n[2]));
        _out.WriteLine($"DATA from FastTotem at daemon 1 (link 0, link 1): before {s1.l0 - s0.l0}, {s1.l1 - s0.l1}; during {s2.l0 - s1.l0}, {s2.l1 - s1.l1}; after {s4.l0 - s3.l0}, {s4.l1 - s3.l1}");
        AssertMostlyOn(0, s0, s1, "before");
        AssertMostlyOn(1, s1, s2, "during");
        AssertMostlyOn(0, s3, s4, "after");
        Assert.True(sender.Finished(30_000));
    }

    [SkippableFact]
    public void CpgOverKnetHasOneTotalOrderForSmallFragmentedAndOneMebibyteMessages()
    {
        // 64 B fits one knet packet; 3,000 B is one Totem mcast in 3 knet fragments; 1 MiB is 17 Totem mcasts of up
        // to 65,491 bytes (46 knet fragments each) from the daemon, and 1,397-byte frames from FastTotem.
        const int total = 30;
        string[] common = { "-g", "order", "-e", $"{total}", "-t", "120", "-v" };
        string[] send = { "-n", "15", "-s", "64,3000,1048576", "-r", "20", "-m", "3" };
        using NetLab lab = Lab(out LabNode[] n, new KnetLabOptions { TokenMs = 1000 });
        LiveNodeInteropTests.AssertDaemonsSee(n[0], "1 2 3");
        Process listener = lab.StartInNamespace(n[1], Repo.CpgProbe, common);
        CpgInteropTests.AwaitLine(n[1], listener, Repo.CpgProbe, "ready nodeid=2");
        lab.Signal(n[2].FastTotem!, 15);
        Assert.True(n[2].FastTotem!.Finished(10_000));
        Process ft = lab.StartKnetFastTotemVerb(n[2], null, new[] { "cpg", "-c", "/etc/corosync/corosync.conf", "--wait-ring", "3" }.Concat(common).Concat(send).ToArray());
        CpgInteropTests.AwaitLine(n[2], ft, "unshare", "ready nodeid=3");
        Process sender = lab.StartInNamespace(n[0], Repo.CpgProbe, common.Concat(send).ToArray());

        string ftOut = NetLab.OutputOf(n[2], ft, "unshare");
        string listenerOut = NetLab.OutputOf(n[1], listener, Repo.CpgProbe);
        string senderOut = NetLab.OutputOf(n[0], sender, Repo.CpgProbe);
        Assert.True(listener.Finished(120_000), "daemon 2's probe did not receive everything:\n" + CpgInteropTests.Read(listenerOut));
        Assert.True(ft.Finished(60_000), "FastTotem did not receive everything:\n" + CpgInteropTests.Read(ftOut));
        Assert.True(sender.Finished(60_000), "daemon 1's probe did not receive everything:\n" + CpgInteropTests.Read(senderOut));
        string[] order = CpgInteropTests.Receipts(CpgInteropTests.Read(listenerOut));
        Assert.Equal(total, order.Length);
        Assert.Equal(order, CpgInteropTests.Receipts(CpgInteropTests.Read(ftOut)));
        Assert.Equal(order, CpgInteropTests.Receipts(CpgInteropTests.Read(senderOut)));
        Assert.Contains(order, r => r.StartsWith("recv from=3:", StringComparison.Ordinal) && r.EndsWith("size=1048576", StringComparison.Ordinal));
        Assert.Contains(order, r => r.StartsWith("recv from=1:", StringComparison.Ordinal) && r.EndsWith("size=1048576", StringComparison.Ordinal));
        Assert.Matches(@"stats sent=15 received=30 bytes=\d+ gaps=0 reorders=0", CpgInteropTests.Read(ftOut));
    }

    /// <summary>DATA packets daemon 1 received from node 3 on link 0 and link 1 (its knet statistics).</summary>
    private static (long, long) RxData(NetLab lab, LabNode daemon) =>
        (lab.KnetStat(daemon, 3, 0, "rx_data_packets"), lab.KnetStat(daemon, 3, 1, "rx_data_packets"));

    private static void AssertMostlyOn(int link, (long l0, long l1) from, (long l0, long l1) to, string when)
    {
        long on0 = to.l0 - from.l0;
        long on1 = to.l1 - from.l1;
        long total = on0 + on1;
        Assert.True(total > 20, $"{when}: only {total} DATA packets from FastTotem");
        long mine = link == 0 ? on0 : on1;
        Assert.True(mine * 100 >= total * 95, $"{when}: {mine} of {total} DATA packets on link {link} (link 0: {on0}, link 1: {on1})");
    }

    /// <summary>Hosts 1..3; daemons on 1 and 2 (started first, their ring awaited), FastTotem on 3.</summary>
    private static NetLab Lab(out LabNode[] nodes, KnetLabOptions options, string? fastTotemKey = null, bool twoLinks = false, string[]? fastTotemArgs = null)
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        var lab = new NetLab();
        try
        {
            nodes = new LabNode[3];
            for (int i = 1; i <= 3; i++)
            {
                nodes[i - 1] = lab.AddHost(i);
                if (twoLinks)
                {
                    lab.AddLink1(nodes[i - 1]);
                }
            }

            lab.WriteAuthKey();
            string? otherKey = null;
            if (fastTotemKey != null)
            {
                otherKey = Path.Combine(lab.Root, fastTotemKey);
                lab.WriteAuthKey(otherKey);
            }

            foreach (LabNode node in nodes)
            {
                lab.KnetConf(node, new[] { 1, 2, 3 }, options);
            }

            lab.StartKnetCorosync(nodes[0]);
            lab.StartKnetCorosync(nodes[1]);
            Assert.True(NetLab.WaitForLog(nodes[0], @"Members\[2\]: 1 2", FormTimeout), "daemons did not form their ring");
            if (fastTotemArgs != null)
            {
                lab.StartKnetFastTotemVerb(nodes[2], otherKey, fastTotemArgs);
            }
            else
            {
                lab.StartKnetFastTotem(nodes[2], otherKey);
            }

            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    private static string WaitFor(Func<string> read, string pattern, TimeSpan timeout)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        string last = read();
        while (!Regex.IsMatch(last, pattern) && sw.Elapsed < timeout)
        {
            Thread.Sleep(250);
            last = read();
        }

        return last;
    }

    private static string WaitForText(Func<string> read, string text, TimeSpan timeout) => WaitFor(read, Regex.Escape(text), timeout);
}
