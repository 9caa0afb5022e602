using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FastTotem.Interop;

/// <summary>
/// CPG between libcpg programs (native/cpgprobe) on real corosync daemons and a FastTotem process group
/// (<c>fasttotem cpg</c>, the same probe over the public ProcessGroup API).
/// </summary>
public class CpgInteropTests
{
    private static readonly TimeSpan Form = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void MembersSeeEachOtherAndShareOneTotalOrder()
    {
        using NetLab lab = Ring(out LabNode[] n);

        // Daemon 2's probe listens; daemon 1's probe and FastTotem each send 15 messages of 64 B, 1 KiB and
        // 200 KiB in turn (200 KiB is fragmented by totempg) once the group has its 3 members.
        const int total = 30;
        string[] common = { "-g", "order", "-e", $"{total}", "-t", "90", "-v" };
        string[] send = { "-n", "15", "-s", "64,1024,204800", "-r", "50", "-m", "3" };
        Process listener = lab.StartInNamespace(n[1], Repo.CpgProbe, common);
        AwaitLine(n[1], listener, Repo.CpgProbe, "ready nodeid=2");
        Process ft = lab.StartInNamespace(n[2], Repo.FastTotem, new[] { "cpg", "-c", n[2].ConfigFile, "--wait-ring", "3" }.Concat(common).Concat(send).ToArray());
        AwaitLine(n[2], ft, Repo.FastTotem, "ready nodeid=3");
        Process sender = lab.StartInNamespace(n[0], Repo.CpgProbe, common.Concat(send).ToArray());
        AwaitLine(n[0], sender, Repo.CpgProbe, "ready nodeid=1");

        string ftOut = NetLab.OutputOf(n[2], ft, Repo.FastTotem);
        string listenerOut = NetLab.OutputOf(n[1], listener, Repo.CpgProbe);
        string senderOut = NetLab.OutputOf(n[0], sender, Repo.CpgProbe);
        Assert.True(WaitFor(() => Regex.IsMatch(Read(listenerOut), @"confchg group=order members=(\d+:\d+,){2}\d+:\d+ ")), "daemon 2's probe never saw 3 members:\n" + Read(listenerOut));
        // corosync-cpgtool answers with an empty list while the daemon is busy (CS_ERR_TRY_AGAIN): ask until it lists.
        string cpgtool = "";
        Assert.True(WaitFor(() => Regex.IsMatch(cpgtool = lab.Exec(n[0], "corosync-cpgtool", "-e"), $@"\s{ft.Id}\s+3\s"), 10_000),
            "corosync-cpgtool on daemon 1 never listed FastTotem's member:\n" + cpgtool);

        Assert.True(listener.Finished(60_000), "daemon 2's probe did not receive everything:\n" + Read(listenerOut));
        Assert.True(ft.Finished(60_000), "FastTotem did not receive everything:\n" + Read(ftOut));
        Assert.True(sender.Finished(60_000), "daemon 1's probe did not receive everything:\n" + Read(senderOut));

        // The same 3 members everywhere, FastTotem's among them.
        string[] members = Members(FirstConfchgWith(Read(listenerOut), 3));
        Assert.Contains($"3:{ft.Id}", members);
        Assert.Equal(members, Members(FirstConfchgWith(Read(ftOut), 3)));
        Assert.Equal(members, Members(FirstConfchgWith(Read(senderOut), 3)));

        // One total order at all three members.
        string[] atDaemon2 = Receipts(Read(listenerOut));
        Assert.Equal(total, atDaemon2.Length);
        Assert.Equal(atDaemon2, Receipts(Read(ftOut)));
        Assert.Equal(atDaemon2, Receipts(Read(senderOut)));
        Assert.Contains(atDaemon2, r => r.StartsWith("recv from=3:", StringComparison.Ordinal) && r.EndsWith("size=204800", StringComparison.Ordinal));
        Assert.Contains(atDaemon2, r => r.StartsWith("recv from=1:", StringComparison.Ordinal) && r.EndsWith("size=204800", StringComparison.Ordinal));
        Assert.Matches(@"stats sent=0 received=30 bytes=\d+ gaps=0 reorders=0", Read(listenerOut));
        Assert.Matches(@"stats sent=15 received=30 bytes=\d+ gaps=0 reorders=0", Read(ftOut));
    }

    [SkippableFact]
    public void DaemonProbeSeesFastTotemLeaveAndDie()
    {
        using NetLab lab = Ring(out LabNode[] n);
        Process watcher = lab.StartInNamespace(n[0], Repo.CpgProbe, "-g", "watch", "-t", "60");
        AwaitLine(n[0], watcher, Repo.CpgProbe, "ready nodeid=1");
        string watcherOut = NetLab.OutputOf(n[0], watcher, Repo.CpgProbe);

        // A FastTotem member joins and leaves on its own: reason 2 (LEAVE).
        Process member = lab.StartInNamespace(n[2], Repo.FastTotem, "cpg", "-c", n[2].ConfigFile, "--wait-ring", "3", "-g", "watch", "-t", "2");
        Assert.True(WaitFor(() => Read(watcherOut).Contains($"joined=3:{member.Id}:1", StringComparison.Ordinal)), "join not seen:\n" + Read(watcherOut));
        Assert.True(WaitFor(() => Read(watcherOut).Contains($"left=3:{member.Id}:2", StringComparison.Ordinal)), "leave (reason 2) not seen:\n" + Read(watcherOut));

        // A FastTotem member whose node is killed: reason 3 (NODEDOWN) once the ring re-forms.
        Process victim = lab.StartInNamespace(n[2], Repo.FastTotem, "cpg", "-c", n[2].ConfigFile, "--wait-ring", "3", "-g", "watch", "-t", "60");
        Assert.True(WaitFor(() => Read(watcherOut).Contains($"joined=3:{victim.Id}:", StringComparison.Ordinal)), "second join not seen:\n" + Read(watcherOut));
        lab.Signal(victim, 9);
        Assert.True(WaitFor(() => Read(watcherOut).Contains($"left=3:{victim.Id}:3", StringComparison.Ordinal), 15_000), "node-down (reason 3) not seen:\n" + Read(watcherOut));
    }

    [SkippableFact]
    public void PartialMcastsCrossInBothDirections()
    {
        using NetLab lab = Ring(out LabNode[] n);

        // 1 MiB + 1 KiB: libcpg splits it into partial_mcast pieces (FIRST 1,047,552 B, LAST), and so does FastTotem.
        const string size = "1049600";
        string[] common = { "-g", "big", "-e", "2", "-t", "60", "-v", "-n", "1", "-s", size, "-m", "2" };
        Process ft = lab.StartInNamespace(n[2], Repo.FastTotem, new[] { "cpg", "-c", n[2].ConfigFile, "--wait-ring", "3" }.Concat(common).ToArray());
        AwaitLine(n[2], ft, Repo.FastTotem, "ready nodeid=3");
        Process probe = lab.StartInNamespace(n[0], Repo.CpgProbe, common);
        string ftOut = NetLab.OutputOf(n[2], ft, Repo.FastTotem);
        string probeOut = NetLab.OutputOf(n[0], probe, Repo.CpgProbe);
        Assert.True(probe.Finished(60_000), "cpgprobe did not receive both messages:\n" + Read(probeOut));
        Assert.True(ft.Finished(60_000), "FastTotem did not receive both messages:\n" + Read(ftOut));
        foreach (string output in new[] { Read(probeOut), Read(ftOut) })
        {
            Assert.Matches($@"recv from=3:{ft.Id} seq=1 size={size} ", output);
            Assert.Matches($@"recv from=1:{probe.Id} seq=1 size={size} ", output);
            Assert.Matches(@"stats sent=1 received=2 bytes=2099200 gaps=0 reorders=0", output);
        }

        Assert.Equal(Receipts(Read(probeOut)), Receipts(Read(ftOut)));
    }

    [SkippableFact]
    public void AShellChatsWithALibcpgProgramAcrossTheCluster()
    {
        using NetLab lab = Ring(out LabNode[] n);
        string cpgchat = Path.Combine(Repo.Root, "out", "native", "cpgchat");
        Assert.True(File.Exists(cpgchat), "run ./build.sh first");

        // fasttotem run --cpg: stdin lines out, deliveries as JSON events; cpgchat: the same with libcpg.
        Process ft = lab.StartInNamespace(n[2], "sh", "-c",
            $"(sleep 4; echo 'hello from FastTotem'; sleep 3) | {Repo.FastTotem} run -c {n[2].ConfigFile} --cpg chat --events {n[2].EventsFile}");
        Process chat = lab.StartInNamespace(n[0], "sh", "-c", $"(sleep 3; echo 'hello from libcpg'; sleep 9) | {cpgchat} chat");
        Assert.True(ft.Finished(30_000) && chat.Finished(30_000), "the chat did not end");
        // (FastTotem's stdin ends first: it leaves the group, then the ring, while cpgchat still listens.)

        string libcpgSide = Read(NetLab.OutputOf(n[0], chat, "sh"));
        Assert.Matches(@"(?m)^3:\d+: hello from FastTotem$", libcpgSide);
        Assert.Matches(@"(?m)^1:\d+: hello from libcpg$", libcpgSide);
        Assert.Matches(@"left 3:\d+ reason 2", libcpgSide); // FastTotem left the group before the ring

        string events = Read(n[2].EventsFile);
        Assert.Matches(@"\{""event"":""deliver"",""group"":""chat"",""nodeid"":1,""pid"":\d+,""size"":17,""text"":""hello from libcpg""\}", events);
        Assert.Matches(@"\{""event"":""deliver"",""group"":""chat"",""nodeid"":3,""pid"":\d+,""size"":20,""text"":""hello from FastTotem""\}", events);
        Assert.Matches(@"\{""event"":""cpg-confchg"",""group"":""chat"",""members"":\[\{""nodeid"":1,""pid"":\d+\},\{""nodeid"":3,""pid"":\d+\}\],""left"":\[\],""joined"":\[\{""nodeid"":[13],""pid"":\d+,""reason"":[14]\}\]\}", events);
    }

    [SkippableFact]
    public void StreamsSurviveADaemonKillUnderTwoPercentLoss()
    {
        using NetLab lab = Ring(out LabNode[] n);
        lab.Loss(n[2], 2);
        lab.Loss(n[1], 2);

        // Three streaming members; node 1's daemon (and with it its probe) is killed mid-stream.
        string[] stream = { "-g", "stream", "-n", "600", "-s", "256", "-r", "200", "-m", "3", "-e", "1000000", "-t", "15", "-v" }; // run the full 15 s: receive everything
        Process p2 = lab.StartInNamespace(n[1], Repo.CpgProbe, stream);
        Process ft = lab.StartInNamespace(n[2], Repo.FastTotem, new[] { "cpg", "-c", n[2].ConfigFile, "--wait-ring", "3" }.Concat(stream).ToArray());
        Process p1 = lab.StartInNamespace(n[0], Repo.CpgProbe, stream);
        string out1 = NetLab.OutputOf(n[0], p1, Repo.CpgProbe);
        string out2 = NetLab.OutputOf(n[1], p2, Repo.CpgProbe);
        string out3 = NetLab.OutputOf(n[2], ft, Repo.FastTotem);
        Assert.True(WaitFor(() => Receipts(Read(out2)).Length > 300, 30_000), "the streams did not start:\n" + Read(out2));
        lab.Signal(n[0].Corosync!, 9);
        bool finished = p2.Finished(60_000) && ft.Finished(60_000);
        string s2 = Read(out2);
        string s3 = Read(out3);
        try
        {
            Assert.True(finished, "the survivors did not finish");
            CheckSurvivorStreams(s2, s3);
            string log2 = File.ReadAllText(n[1].LogFile);
            Assert.Matches(@"Members\[2\]: 2 3", log2);
            // No chain of anyone's straddled a synchronisation's end: the daemon's totempg never went into throw-away.
            Assert.DoesNotMatch("fragmented continuation", log2);
            // Because FastTotem, like a daemon, sends nothing a process asked for while a synchronisation runs.
            AssertNoProcessTrafficDuringSync(log2, 3);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            // A rare failure is only worth something with the evidence: keep the outputs and name what each side saw.
            string keep = Path.Combine(Path.GetTempPath(), $"fasttotem-streams-{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}");
            Directory.CreateDirectory(keep);
            File.WriteAllText(Path.Combine(keep, "node2-cpgprobe.txt"), s2);
            File.WriteAllText(Path.Combine(keep, "node3-fasttotem.txt"), s3);
            File.Copy(n[1].LogFile, Path.Combine(keep, "node2-corosync.log"), true);
            throw new Xunit.Sdk.XunitException($"{e.Message}\nnode 2: {Summary(s2)}\nnode 3: {Summary(s3)}\noutputs kept in {keep}");
        }
    }

    /// <summary>
    /// corosync's sync_in_process: from a new membership until "Completed service synchronization" no CPG request of a
    /// local process goes out. The daemon logs each procjoin and procleave it receives; none from
    /// <paramref name="nodeId"/> may arrive inside that window.
    /// </summary>
    private static void AssertNoProcessTrafficDuringSync(string corosyncLog, uint nodeId)
    {
        bool syncing = false;
        foreach (string line in corosyncLog.Split('\n'))
        {
            if (line.Contains("A new membership (", StringComparison.Ordinal) || line.Contains("[SYNC  ] enter sync process", StringComparison.Ordinal))
            {
                syncing = true;
            }
            else if (line.Contains("Completed service synchronization", StringComparison.Ordinal))
            {
                syncing = false;
            }
            else if (syncing && Regex.IsMatch(line, $@"got proc(join|leave) message from cluster node {nodeId} "))
            {
                Assert.Fail($"node {nodeId} sent a process's request during a synchronisation: {line}");
            }
        }
    }

    private static string Summary(string output) =>
        $"{Receipts(output).Length} receipts; " + string.Join("; ", output.Split('\n')
            .Where(l => l.StartsWith("stats ", StringComparison.Ordinal) || l.StartsWith("confchg ", StringComparison.Ordinal) || l.StartsWith("totem ", StringComparison.Ordinal)));

    private static void CheckSurvivorStreams(string s2, string s3)
    {
        // No reordering or duplicates anywhere. Gaps may appear only in the killed node's stream (messages no
        // survivor received when it died are skipped, as extended virtual synchrony allows), and they must be the
        // same at both survivors; the survivors' own streams are complete.
        Assert.Matches(@"stats sent=600 received=\d+ bytes=\d+ gaps=\d+ reorders=0", s2);
        Assert.Matches(@"stats sent=600 received=\d+ bytes=\d+ gaps=\d+ reorders=0", s3);
        Assert.Equal(Regex.Match(s2, @"stats .*").Value.Split(' ')[2..6], Regex.Match(s3, @"stats .*").Value.Split(' ')[2..6]);
        string[] at2 = Receipts(s2);
        string[] at3 = Receipts(s3);
        Assert.Equal(at2.Length, at2.Distinct().Count());
        Assert.Equal(at2, at3); // the same messages in the same order, across the configuration change
        Assert.Contains(at2, r => r.StartsWith("recv from=1:", StringComparison.Ordinal)); // some of node 1's before the kill
        foreach (string survivor in new[] { "recv from=2:", "recv from=3:" })
        {
            // Each survivor's stream arrives whole and in order: seq 1..600.
            int[] seqs = at2.Where(r => r.StartsWith(survivor, StringComparison.Ordinal))
                .Select(r => int.Parse(Regex.Match(r, @"seq=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(Enumerable.Range(1, 600), seqs);
        }
    }

    [SkippableFact]
    public void ACProgramOnTheCApiEchoesALibcpgProgram()
    {
        using NetLab lab = Ring(out LabNode[] n);
        string ftecho = Path.Combine(Repo.Root, "out", "native", "ftecho");
        string cpgchat = Path.Combine(Repo.Root, "out", "native", "cpgchat");
        Assert.True(File.Exists(ftecho) && File.Exists(cpgchat), "run ./build.sh first");

        // ftecho uses only fasttotem.h and libfasttotem.so; cpgchat uses only libcpg on a real daemon.
        Process echo = lab.StartInNamespace(n[2], ftecho, n[2].ConfigFile, "echo", "12");
        AwaitLine(n[2], echo, ftecho, "ready nodeid=3");
        Assert.True(NetLab.WaitForLog(n[0], @"Members\[3\]: 1 2 3", Form), "FastTotem (C host) never joined the daemons' ring");
        Process chat = lab.StartInNamespace(n[0], "sh", "-c", $"(sleep 2; echo 'ping from libcpg'; sleep 4) | {cpgchat} echo");
        Assert.True(chat.Finished(30_000), "cpgchat did not end");
        string libcpgSide = Read(NetLab.OutputOf(n[0], chat, "sh"));
        Assert.Matches(@"(?m)^1:\d+: ping from libcpg$", libcpgSide);
        Assert.Matches($@"(?m)^3:{echo.Id}: echo: ping from libcpg$", libcpgSide);
    }

    [SkippableFact]
    public void TheCApiLatencyProbePingPongsWithALibcpgEchoAcrossTheCluster()
    {
        using NetLab lab = Ring(out LabNode[] n);
        string ftlatency = Path.Combine(Repo.Root, "out", "native", "ftlatency");
        Assert.True(File.Exists(ftlatency), "run ./build.sh first");

        // cpgprobe -L echo on a corosync daemon answers every ping of ftlatency (libfasttotem.so, C API only).
        Process echo = lab.StartInNamespace(n[0], Repo.CpgProbe, "-L", "echo", "-M", "pingpong", "-g", "lat", "-r", "200", "-w", "1", "-t", "3");
        AwaitLine(n[0], echo, Repo.CpgProbe, "ready nodeid=1");
        Process ping = lab.StartInNamespace(n[2], ftlatency, "-c", n[2].ConfigFile, "-R", "ping", "-m", "pingpong", "-g", "lat", "-r", "200", "-w", "1", "-t", "3");
        Assert.True(ping.Finished(90_000), "ftlatency did not finish");
        Assert.True(echo.Finished(30_000), "cpgprobe did not see the end marker");
        string pingOut = Read(NetLab.OutputOf(n[2], ping, ftlatency));
        string echoOut = Read(NetLab.OutputOf(n[0], echo, Repo.CpgProbe));
        Match summary = Regex.Match(pingOut, @"""samples"":(\d+),""sent"":(\d+),""received"":(\d+),""lost"":(-?\d+),""p50_us"":([0-9.]+),""p99_us"":([0-9.]+)");
        Assert.True(summary.Success, pingOut);
        int sent = int.Parse(summary.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(sent, 700, 900); // 200/s for 1 s warm-up + 3 s
        Assert.Equal(summary.Groups[2].Value, summary.Groups[3].Value); // every ping came back
        Assert.InRange(int.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 550, 650); // 3 s of round trips measured
        Assert.True(double.Parse(summary.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, pingOut);
        Match echoed = Regex.Match(echoOut, @"""role"":""echo"",""mode"":""pingpong"",""sent"":(\d+)");
        Assert.True(echoed.Success, echoOut);
        Assert.Equal(sent, int.Parse(echoed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static NetLab Ring(out LabNode[] n)
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem) && File.Exists(Repo.CpgProbe), "run ./build.sh first");
        var lab = new NetLab();
        try
        {
            n = new[] { lab.AddHost(1), lab.AddHost(2), lab.AddHost(3) };
            foreach (LabNode node in n)
            {
                lab.CorosyncConf(node, new[] { 1, 2, 3 });
            }

            lab.StartCorosync(n[0]);
            lab.StartCorosync(n[1]);
            Assert.True(NetLab.WaitForLog(n[0], @"Members\[2\]: 1 2", Form));
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    internal static void AwaitLine(LabNode node, Process p, string program, string text)
    {
        string path = NetLab.OutputOf(node, p, program);
        Assert.True(WaitFor(() => Read(path).Contains(text, StringComparison.Ordinal), 30_000), $"{program} never printed '{text}':\n{Read(path)}");
    }

    internal static string[] Receipts(string output) =>
        output.Split('\n').Where(l => l.StartsWith("recv from=", StringComparison.Ordinal) && !l.Contains(" seq=0 ", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l, @" lat_ns=-?\d+", "")).ToArray();

    private static string FirstConfchgWith(string output, int members) =>
        output.Split('\n').First(l => l.StartsWith("confchg ", StringComparison.Ordinal) && Members(l).Length == members);

    private static string[] Members(string confchg) =>
        Regex.Match(confchg, @"members=(\S*)").Groups[1].Value.Split(',').Order().ToArray();

    internal static string Read(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(fs).ReadToEnd();
    }

    internal static bool WaitFor(Func<bool> condition, int ms = 20_000)
    {
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < ms)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return condition();
    }
}
