using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastTotem.Cli.Bench;

namespace FastTotem.Interop;

/// <summary>
/// <c>fasttotem status</c> against a live <c>fasttotem run</c> node in a ring with two corosync 3.1.7 daemons: the
/// quorum figures it reports are the ones <c>corosync-quorumtool -s</c> prints on a daemon, before and after a
/// daemon is killed; and the errors an operator meets (no socket, a stale one) exit 1 with a clear message.
/// </summary>
public class StatusInteropTests
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public void StatusShowsTheQuorumCorosyncQuorumtoolShows()
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        using var lab = new NetLab();
        LabNode[] n = Enumerable.Range(1, 3).Select(lab.AddHost).ToArray();
        foreach (LabNode node in n)
        {
            lab.CorosyncConf(node, new[] { 1, 2, 3 });
        }

        lab.StartCorosync(n[0]);
        lab.StartCorosync(n[1]);
        Assert.True(NetLab.WaitForLog(n[0], @"Members\[2\]: 1 2", FormTimeout), "daemons did not form their ring");
        lab.StartFastTotem(n[2]);
        LiveNodeInteropTests.AssertDaemonsSee(n[0], "1 2 3");

        JsonElement quorum = WaitForQuorum(lab, n[2], totalVotes: 3);
        AssertSameAsQuorumtool(lab.Exec(n[0], "corosync-quorumtool", "-s"), quorum);

        // The text form reads like corosync-quorumtool's, ring id included (hex, as corosync prints it).
        string text = lab.Exec(n[2], Repo.FastTotem, "status", "-c", n[2].ConfigFile);
        string tool = lab.Exec(n[0], "corosync-quorumtool", "-s");
        Assert.Matches(@"(?m)^Quorate:\s+Yes$", text);
        Assert.Equal(Field(tool, "Ring ID"), Field(text[text.IndexOf("Quorum information", StringComparison.Ordinal)..], "Ring ID"));
        Assert.Matches(@"(?m)^\s+3\s+1 10\.\S+ \(local\)$", text);

        // A daemon dies: two of three votes, still quorate, on both sides.
        long mark = NetLab.LogLength(n[0]);
        lab.Signal(n[1].Corosync!, 9);
        Assert.True(NetLab.WaitForLog(n[0], @"Members\[2\]: 1 3\n(.*\n)*.*Completed service synchronization", FormTimeout, mark), "no ring of 1 and 3");
        quorum = WaitForQuorum(lab, n[2], totalVotes: 2);
        Assert.True(quorum.GetProperty("quorate").GetBoolean());
        AssertSameAsQuorumtool(lab.Exec(n[0], "corosync-quorumtool", "-s"), quorum);

        // --socket names the socket itself; a path with nothing behind it is exit 1 with the reason.
        string socket = Path.Combine(n[2].StateDir, "fasttotem-3.sock");
        (int code, string output, _) = Shell.TryRun("ip", "netns", "exec", n[2].Namespace, Repo.FastTotem, "status", "--socket", socket, "--json");
        Assert.Equal(0, code);
        Assert.Equal(3u, JsonDocument.Parse(output).RootElement.GetProperty("node").GetProperty("nodeid").GetUInt32());
        (code, _, string error) = Shell.TryRun(Repo.FastTotem, "status", "--socket", Path.Combine(n[2].StateDir, "nothing.sock"));
        Assert.Equal(1, code);
        Assert.Contains("no status socket", error);

        // After the node stopped its socket is gone: exit 1, not a hang.
        lab.Signal(n[2].FastTotem!, 15);
        Assert.True(n[2].FastTotem!.Finished(10_000), "fasttotem did not exit on SIGTERM");
        Assert.False(File.Exists(socket), "the socket file outlived fasttotem run");
        (code, _, error) = Shell.TryRun("ip", "netns", "exec", n[2].Namespace, Repo.FastTotem, "status", "-c", n[2].ConfigFile);
        Assert.Equal(1, code);
        Assert.Contains("fasttotem-3.sock", error);
    }

    [Fact]
    public void UsageErrorsExitTwoAndAStaleSocketExitsOne()
    {
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        (int code, _, string error) = Shell.TryRun(Repo.FastTotem, "status");
        Assert.Equal(2, code);
        Assert.Contains("give either -c corosync.conf or --socket PATH", error);
        (code, _, _) = Shell.TryRun(Repo.FastTotem, "status", "--socket", "/x", "--frobnicate");
        Assert.Equal(2, code);

        string dir = Directory.CreateTempSubdirectory("fasttotem-stale-").FullName;
        try
        {
            // Bound and never listening: what a killed node leaves (connect is refused). Kept open while it is asked,
            // since .NET unlinks a socket file when the socket that bound it is disposed.
            string stale = Path.Combine(dir, "fasttotem-1.sock");
            using var dead = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            dead.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(stale));
            var clock = Stopwatch.StartNew();
            (code, _, error) = Shell.TryRun(Repo.FastTotem, "status", "--socket", stale);
            Assert.Equal(1, code);
            Assert.Contains("connection refused", error);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Asks the node until its quorum shows <paramref name="totalVotes"/>; returns the quorum object.</summary>
    private static JsonElement WaitForQuorum(NetLab lab, LabNode node, uint totalVotes)
    {
        var clock = Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < FormTimeout)
        {
            (int code, string output, string error) = Shell.TryRun("ip", "netns", "exec", node.Namespace, Repo.FastTotem, "status", "-c", node.ConfigFile, "--json");
            last = output + error;
            if (code == 0)
            {
                JsonElement quorum = JsonDocument.Parse(output).RootElement.GetProperty("quorum").Clone();
                if (quorum.GetProperty("total_votes").GetUInt32() == totalVotes)
                {
                    return quorum;
                }
            }

            Thread.Sleep(200);
        }

        Assert.Fail($"fasttotem status never showed {totalVotes} votes: {last}");
        return default;
    }

    /// <summary>Every figure corosync-quorumtool -s prints equals FastTotem's, and so does the nodeid/votes table.</summary>
    private static void AssertSameAsQuorumtool(string tool, JsonElement quorum)
    {
        Assert.Equal(Field(tool, "Expected votes"), quorum.GetProperty("expected_votes").GetUInt32().ToString());
        Assert.Equal(Field(tool, "Highest expected"), quorum.GetProperty("highest_expected").GetUInt32().ToString());
        Assert.Equal(Field(tool, "Total votes"), quorum.GetProperty("total_votes").GetUInt32().ToString());
        Assert.Equal(Field(tool, "Quorum").Split(' ')[0], quorum.GetProperty("quorum").GetUInt32().ToString());
        Assert.Equal(Field(tool, "Quorate"), quorum.GetProperty("quorate").GetBoolean() ? "Yes" : "No");
        Assert.Equal(Field(tool, "Ring ID"), quorum.GetProperty("ring").GetProperty("id").GetString());
        string[] rows = Regex.Matches(tool, @"(?m)^\s+(\d+)\s+(\d+)\s").Select(m => $"{m.Groups[1].Value}:{m.Groups[2].Value}").ToArray();
        string[] ours = quorum.GetProperty("nodes").EnumerateArray()
            .Select(e => $"{e.GetProperty("nodeid").GetUInt32()}:{e.GetProperty("votes").GetUInt32()}").ToArray();
        Assert.Equal(rows, ours);
    }

    private static string Field(string text, string label)
    {
        Match m = Regex.Match(text, $@"(?m)^{Regex.Escape(label)}:\s+(.*?)\s*$");
        Assert.True(m.Success, $"no '{label}:' in:\n{text}");
        return m.Groups[1].Value;
    }
}
