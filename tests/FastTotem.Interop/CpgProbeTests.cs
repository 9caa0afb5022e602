using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FastTotem.Interop;

/// <summary>native/cpgprobe against two real corosync daemons: the tool the CPG interop tests and benchmarks rely on.</summary>
public class CpgProbeTests
{
    [SkippableFact]
    public void ProbesOnTwoDaemonsSeeEachOtherAndExchangeOrderedMessages()
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.CpgProbe), $"{Repo.CpgProbe} is missing: run ./build.sh native");
        using var lab = new NetLab();
        LabNode a = lab.AddHost(1);
        LabNode b = lab.AddHost(2);
        foreach (LabNode n in new[] { a, b })
        {
            lab.CorosyncConf(n, new[] { 1, 2 });
            lab.StartCorosync(n);
        }

        Assert.True(NetLab.WaitForLog(a, @"Members\[2\]: 1 2", TimeSpan.FromSeconds(15)));
        Assert.True(NetLab.WaitForLog(b, @"Completed service synchronization", TimeSpan.FromSeconds(15)));

        // The receiver waits for 300 messages; the sender sends 300 of 1 KiB at 1,000/s after the receiver is up.
        Process receiver = lab.StartInNamespace(b, Repo.CpgProbe, "-g", "probe", "-e", "300", "-t", "20", "-v");
        string receiverOut = Path.Combine(b.Directory, $"cpgprobe-{receiver.Id}.out");
        Assert.True(WaitForFile(receiverOut, "ready nodeid=2", TimeSpan.FromSeconds(10)), "receiver never joined");
        Process sender = lab.StartInNamespace(a, Repo.CpgProbe, "-g", "probe", "-n", "300", "-s", "1024", "-r", "1000");
        string senderOut = Path.Combine(a.Directory, $"cpgprobe-{sender.Id}.out");
        Assert.True(sender.Finished(30_000), "sender did not finish");
        Assert.True(receiver.Finished(30_000), "receiver did not finish");

        string received = File.ReadAllText(receiverOut);
        Match stats = Regex.Match(received, @"stats sent=0 received=(\d+) bytes=(\d+) gaps=(\d+) reorders=(\d+)");
        Assert.True(stats.Success, received);
        Assert.Equal("300", stats.Groups[1].Value);
        Assert.Equal("0", stats.Groups[3].Value);
        Assert.Equal("0", stats.Groups[4].Value);
        Assert.Matches(@"confchg group=probe members=[0-9:,]*1:" + sender.Id + @"\b", received);
        Assert.Matches(@"recv from=1:\d+ seq=300 size=1024 lat_ns=\d+", received);
        Assert.Contains("totem ring=", received);
        Assert.Matches(@"stats sent=300 received=\d+ bytes=\d+ gaps=0 reorders=0 ", File.ReadAllText(senderOut));
    }

    private static bool WaitForFile(string path, string text, TimeSpan timeout)
    {
        Stopwatch sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (File.Exists(path) && File.ReadAllText(path).Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return false;
    }
}
