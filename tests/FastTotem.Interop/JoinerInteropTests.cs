using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using static FastTotem.Interop.CpgInteropTests;

namespace FastTotem.Interop;

/// <summary>
/// Whole messages for members that join while FastTotem is halfway through a fragmented message (docs/fuzzing.md,
/// "Whole messages for joiners"): corosync daemons receive FastTotem's 200 KiB messages, one of them as a node whose
/// ring merges with FastTotem's in the middle of the stream.
/// </summary>
public class JoinerInteropTests
{
    private const int Messages = 100;

    [SkippableFact]
    public void ADaemonThatJoinsMidMessageReceivesFastTotemsMessagesWhole()
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem) && File.Exists(Repo.CpgProbe), "run ./build.sh first");
        using var lab = new NetLab();
        LabNode[] n = { lab.AddHost(1), lab.AddHost(2), lab.AddHost(3) };
        foreach (LabNode node in n)
        {
            lab.CorosyncConf(node, new[] { 1, 2, 3 });
        }

        // Daemon 2 starts cut off, in a ring of its own, with a probe already in the group.
        lab.Cut(n[1], n[0], n[2]);
        lab.StartCorosync(n[0]);
        lab.StartCorosync(n[1]);
        Assert.True(NetLab.WaitForLog(n[0], @"Completed service synchronization", TimeSpan.FromSeconds(20)), "daemon 1 did not start");
        Assert.True(NetLab.WaitForLog(n[1], @"Completed service synchronization", TimeSpan.FromSeconds(20)), "daemon 2 did not start");
        string[] listen = { "-g", "join", "-t", "40", "-v" };
        Process early = lab.StartInNamespace(n[0], Repo.CpgProbe, listen.Concat(new[] { "-e", $"{Messages}" }).ToArray());
        AwaitLine(n[0], early, Repo.CpgProbe, "ready nodeid=1");
        Process joiner = lab.StartInNamespace(n[1], Repo.CpgProbe, listen);
        AwaitLine(n[1], joiner, Repo.CpgProbe, "ready nodeid=2");

        // FastTotem streams 200 KiB messages (about 150 totempg payloads each) as fast as its queue takes them, once
        // daemon 1's probe is in the group; daemon 2 is let in after the tenth, so its ring merges mid-message.
        Process ft = lab.StartInNamespace(n[2], Repo.FastTotem, "cpg", "-c", n[2].ConfigFile, "--wait-ring", "2", "-g", "join",
            "-n", $"{Messages}", "-s", "204800", "-r", "15", "-m", "2", "-e", $"{Messages}", "-t", "40", "-v");
        string ftOut = NetLab.OutputOf(n[2], ft, Repo.FastTotem);
        string earlyOut = NetLab.OutputOf(n[0], early, Repo.CpgProbe);
        string joinerOut = NetLab.OutputOf(n[1], joiner, Repo.CpgProbe);
        Assert.True(WaitFor(() => Read(ftOut).Contains("sent seq=10\n", StringComparison.Ordinal), 30_000), "FastTotem did not start sending:\n" + Read(ftOut));
        lab.Heal(n[1]);

        Assert.True(early.Finished(40_000), "daemon 1's probe did not receive every message:\n" + Read(earlyOut));
        Assert.True(ft.Finished(20_000), "FastTotem did not finish:\n" + Read(ftOut));
        Thread.Sleep(500);
        lab.Signal(joiner, 15);
        Assert.True(joiner.Finished(10_000), "daemon 2's probe did not stop");

        string atEarly = Read(earlyOut);
        string atJoiner = Read(joinerOut);
        string atFt = Read(ftOut);
        // Every message whole at both daemons: the size its header names and the sender's letter pattern throughout.
        Assert.Matches($@"stats sent=0 received={Messages} bytes={Messages * 204800L} gaps=0 reorders=0 foreign=0 duration_ns=\d+ corrupt=0", atEarly);
        Assert.Matches(@"stats sent=0 received=\d+ bytes=\d+ gaps=\d+ reorders=0 foreign=0 duration_ns=\d+ corrupt=0", atJoiner);
        Assert.Equal(Enumerable.Range(1, Messages), Seqs(Receipts(atEarly)));

        // Virtual synchrony across the merge: from the group configuration that lets daemon 2's probe in, the three
        // members deliver the same messages in the same order; daemon 2's probe gets every one from there on, the
        // message that was halfway through FastTotem's queue at the merge included.
        string[] joinerGot = Receipts(atJoiner);
        string[] earlyAfter = ReceiptsAfterJoin(atEarly, joiner.Id);
        Assert.True(joinerGot.Length > 0 && joinerGot.Length < Messages, $"daemon 2's probe got {joinerGot.Length} messages: the merge was not mid-stream\n{atJoiner}");
        Assert.Equal(earlyAfter, joinerGot);
        Assert.Equal(earlyAfter, ReceiptsAfterJoin(atFt, joiner.Id));
        Assert.Equal(Enumerable.Range(Messages - joinerGot.Length + 1, joinerGot.Length), Seqs(joinerGot));

        // And the merge did catch FastTotem mid-chain: daemon 1 (an old member) threw its half away on the chain break
        // (a continuation one past the fragment number it expected), before the chain began again.
        string log1 = File.ReadAllText(n[0].LogFile);
        Assert.True(Regex.Matches(log1, @"fragmented continuation (\d+) is not equal to assembly last_frag_num (\d+)")
            .Any(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == (int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) % 255) + 1),
            "no chain break reached daemon 1: the merge did not catch FastTotem mid-message, so this run proves nothing");
    }

    /// <summary>The receipts after the first group configuration that lists process <paramref name="pid"/> of node 2.</summary>
    private static string[] ReceiptsAfterJoin(string output, int pid)
    {
        string[] lines = output.Split('\n');
        int from = Array.FindIndex(lines, l => l.StartsWith("confchg ", StringComparison.Ordinal)
            && Regex.IsMatch(l, $@"members=(\S*,)?2:{pid}(,|\s|$)"));
        Assert.True(from >= 0, $"no group configuration lists 2:{pid}:\n{output}");
        return Receipts(string.Join('\n', lines[from..]));
    }

    private static int[] Seqs(string[] receipts) =>
        receipts.Select(r => int.Parse(Regex.Match(r, @"seq=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
}
