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

    /// <summary>Hosts 1..3; daemons on 1 and 2 (started first, their ring awaited), FastTotem on 3.</summary>
    private static NetLab Lab(out LabNode[] nodes, KnetLabOptions options, string? fastTotemKey = null, bool twoLinks = false)
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
            lab.StartKnetFastTotem(nodes[2], otherKey);
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
