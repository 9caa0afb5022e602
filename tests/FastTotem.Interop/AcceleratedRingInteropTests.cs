using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace FastTotem.Interop;

/// <summary>
/// The accelerated ring (docs/accelerated-ring.md) next to real corosync 3.1.7 daemons. FastTotem nodes run with
/// <c>totem.fasttotem_accelerated: on</c> (only in their own corosync.conf); each announces service id 48 in its
/// service_build, which a daemon takes as an unknown service with no-op handlers. While a daemon is a member the ring
/// stays standard; without it, it runs accelerated after one synchronisation; a daemon joining returns it to standard
/// at the GATHER, before the new ring's first message. And FastTotem flooding a ring whose daemons receive through
/// libcpg must not disturb them.
/// </summary>
public class AcceleratedRingInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Form = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void TheRingIsStandardWhileADaemonIsAMemberAndAcceleratedWithoutIt()
    {
        using NetLab lab = Lab(out LabNode[] n, daemons: [2], fastTotem: [1, 3]);
        LabNode daemon = n[1];
        (uint rep, ulong seq) = DaemonRing(daemon, "1 2 3", 0);
        string log = File.ReadAllText(daemon.LogFile);
        // The daemon met id 48 and gave it corosync's no-op handlers: one more barrier round, nothing else.
        Assert.Contains("Unknown External Service (id = 48)", log, StringComparison.Ordinal);
        AssertNoDaemonTrouble(log);
        foreach (LabNode ft in new[] { n[0], n[2] })
        {
            Assert.Equal("standard", WaitForMode(ft, rep, seq, 0));
        }

        ulong retransmits = SrpStat(lab, daemon, "mcast_retx");
        Assert.True(retransmits < 20, $"the daemon retransmitted {retransmits} mcasts in a quiet ring");

        // The daemon leaves: the two FastTotem nodes form a ring of their own, accelerated after its synchronisation.
        long[] marks = [EventsLength(n[0]), EventsLength(n[2])];
        lab.Signal(daemon.Corosync!, 15);
        Assert.True(daemon.Corosync!.Finished(10_000), "the daemon did not stop");
        foreach ((LabNode ft, long mark) in new[] { (n[0], marks[0]), (n[2], marks[1]) })
        {
            (uint r, ulong s) = WaitForRegular(ft, [1, 3], mark);
            Assert.Equal("accelerated", WaitForMode(ft, r, s, mark));
        }

        // The daemon comes back: standard again from the GATHER on, so before the regular configuration of the new
        // ring (and every message of it), and the new ring's synchronisation keeps it standard.
        marks = [EventsLength(n[0]), EventsLength(n[2])];
        long logMark = NetLab.LogLength(daemon);
        lab.StartCorosync(daemon);
        (rep, seq) = DaemonRing(daemon, "1 2 3", logMark);
        AssertNoDaemonTrouble(File.ReadAllText(daemon.LogFile)[(int)logMark..]);
        foreach ((LabNode ft, long mark) in new[] { (n[0], marks[0]), (n[2], marks[1]) })
        {
            Assert.Equal("standard", WaitForMode(ft, rep, seq, mark));
            JsonElement[] events = Events(ft, mark);
            int standardAt = Array.FindIndex(events, e => Is(e, "ring-mode") && e.GetProperty("mode").GetString() == "standard");
            int regularAt = Array.FindIndex(events, e => Is(e, "config") && e.GetProperty("type").GetString() == "regular"
                && e.GetProperty("members").GetArrayLength() == 3);
            Assert.True(standardAt >= 0 && regularAt >= 0 && standardAt < regularAt,
                $"node {ft.Id}: the switch back to standard came after the daemon's ring was installed (events {standardAt}, {regularAt})");
        }
    }

    /// <summary>
    /// FastTotem floods (1 KiB CPG messages, as fast as the ring takes them) a ring in which two daemons receive with
    /// native/cpgprobe: every message arrives at both, in order, with no membership change, no token loss and no
    /// retransmit storm at the daemons, whose CPU time is reported.
    /// </summary>
    [SkippableFact]
    public void AFastTotemFloodLeavesTheDaemonsUndisturbed()
    {
        const int count = 5_000;
        using NetLab lab = Lab(out LabNode[] n, daemons: [1, 2], fastTotem: [3], fastTotemRuns: false);
        string[] common = ["-g", "flood", "-e", $"{count}", "-t", "45"];
        Process[] probes = [lab.StartInNamespace(n[0], Repo.CpgProbe, common), lab.StartInNamespace(n[1], Repo.CpgProbe, common)];
        CpgInteropTests.AwaitLine(n[0], probes[0], Repo.CpgProbe, "ready nodeid=1");
        CpgInteropTests.AwaitLine(n[1], probes[1], Repo.CpgProbe, "ready nodeid=2");
        long[] logMarks = [NetLab.LogLength(n[0]), NetLab.LogLength(n[1])];
        ulong[] retxBefore = [SrpStat(lab, n[0], "mcast_retx"), SrpStat(lab, n[1], "mcast_retx")];
        long[] cpuBefore = [CpuTicks(n[0].Corosync!), CpuTicks(n[1].Corosync!)];
        var clock = Stopwatch.StartNew();
        // -e: the flooder stays until its own messages are delivered back to it (it would leave with its queue full).
        Process flooder = lab.StartInNamespace(n[2], Repo.FastTotem,
            "cpg", "-c", n[2].ConfigFile, "--wait-ring", "3", "-g", "flood", "-n", $"{count}", "-e", $"{count}", "-s", "1024", "-m", "3", "-t", "45");
        foreach (Process p in probes.Append(flooder))
        {
            Assert.True(p.Finished(60_000), "a probe or the flooder did not finish:\n" + CpgInteropTests.Read(NetLab.OutputOf(n[2], flooder, Repo.FastTotem)));
        }

        double seconds = clock.Elapsed.TotalSeconds;
        string flood = CpgInteropTests.Read(NetLab.OutputOf(n[2], flooder, Repo.FastTotem));
        Match sent = Regex.Match(flood, @"stats sent=(\d+) received=\d+ bytes=\d+ gaps=0 reorders=0 foreign=\d+ duration_ns=(\d+)");
        Assert.True(sent.Success && sent.Groups[1].Value == $"{count}", flood);
        double floodSeconds = long.Parse(sent.Groups[2].Value, CultureInfo.InvariantCulture) / 1e9;
        for (int d = 0; d < 2; d++)
        {
            string received = CpgInteropTests.Read(NetLab.OutputOf(n[d], probes[d], Repo.CpgProbe));
            Assert.True(Regex.IsMatch(received, $@"stats sent=0 received={count} bytes=\d+ gaps=0 reorders=0"),
                $"daemon {d + 1}'s probe: {string.Join('\n', received.Split('\n').Where(l => !l.StartsWith("recv ", StringComparison.Ordinal)).TakeLast(8))}\nflooder: {flood}");
            string log = File.ReadAllText(n[d].LogFile)[(int)logMarks[d]..];
            // FastTotem's join is one membership change and its LEAVE, once it has received all its messages back, may
            // be another; nothing else may happen (no token loss, no other ring).
            int joined = log.IndexOf("Members[3]: 1 2 3", StringComparison.Ordinal);
            Assert.True(joined >= 0, $"daemon {d + 1} never listed FastTotem's node");
            string[] later = Regex.Matches(log[joined..], @"A new membership \([0-9a-f.]+\) was formed\.[^\n]*").Select(m => m.Value).ToArray();
            Assert.True(later.Length == 0 || (later.Length == 1 && later[0].EndsWith("Members left: 3", StringComparison.Ordinal)),
                $"daemon {d + 1} changed membership during the flood: {string.Join(" | ", later)}");
            AssertNoDaemonTrouble(log);
            ulong retransmits = SrpStat(lab, n[d], "mcast_retx") - retxBefore[d];
            double cpu = (CpuTicks(n[d].Corosync!) - cpuBefore[d]) / 100.0;
            output.WriteLine($"daemon {d + 1}: {retransmits} mcasts retransmitted, {cpu:0.00} s CPU over the flood ({cpu / seconds * 100:0}% of one core)");
            Assert.True(retransmits < count / 100, $"daemon {d + 1} retransmitted {retransmits} mcasts: a retransmit storm");
        }

        output.WriteLine($"FastTotem flooded {count} x 1 KiB in {floodSeconds:0.00} s: {count / floodSeconds:0} msgs/s to two daemons receiving with cpgprobe");
    }

    private static NetLab Lab(out LabNode[] nodes, int[] daemons, int[] fastTotem, bool fastTotemRuns = true)
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem) && File.Exists(Repo.CpgProbe), "run ./build.sh and ./build.sh native first");
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
                lab.CorosyncConf(node, all);
            }

            // Only FastTotem reads the key; the daemons' files stay as corosync knows them.
            foreach (int f in fastTotem)
            {
                string path = nodes[f - 1].ConfigFile;
                File.WriteAllText(path, File.ReadAllText(path).Replace("totem {\n", "totem {\n\tfasttotem_accelerated: on\n", StringComparison.Ordinal));
            }

            foreach (int d in daemons)
            {
                lab.StartCorosync(nodes[d - 1]);
            }

            if (daemons.Length > 1)
            {
                Assert.True(NetLab.WaitForLog(nodes[daemons[0] - 1], $@"Members\[{daemons.Length}\]: {string.Join(' ', daemons)}", Form),
                    "the daemons did not form their ring");
            }

            if (fastTotemRuns)
            {
                foreach (int f in fastTotem)
                {
                    lab.StartFastTotem(nodes[f - 1]);
                }
            }

            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>The ring the daemon formed with <paramref name="members"/> and finished synchronising (after byte <paramref name="from"/> of its log).</summary>
    private static (uint Rep, ulong Seq) DaemonRing(LabNode daemon, string members, long from)
    {
        int count = members.Split(' ').Length;
        Assert.True(NetLab.WaitForLog(daemon, $@"Members\[{count}\]: {members}\n(.*\n)*.*Completed service synchronization", Form, from),
            $"daemon {daemon.Id} never completed sync with members {members}");
        string text = File.ReadAllText(daemon.LogFile)[(int)from..];
        int formed = text.IndexOf($"Members[{count}]: {members}", StringComparison.Ordinal);
        Match m = Regex.Matches(text[..formed], @"A new membership \((\d+)\.([0-9a-f]+)\) was formed")[^1];
        return (uint.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Convert.ToUInt64(m.Groups[2].Value, 16));
    }

    private static void AssertNoDaemonTrouble(string log)
    {
        // corosync's logfile lines read "<time> <level> [SUBSYS] text".
        Assert.DoesNotMatch(@"\b(error|crit|alert|emerg)\s+\[", log);
        Assert.DoesNotContain("A processor failed", log, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED TO RECEIVE", log, StringComparison.Ordinal);
    }

    /// <summary>The mode FastTotem reported for ring rep.seq (waits for its ring-mode event).</summary>
    private static string WaitForMode(LabNode node, uint rep, ulong seq, long from)
    {
        string? mode = null;
        Assert.True(CpgInteropTests.WaitFor(() =>
        {
            mode = Events(node, from).Where(e => Is(e, "ring-mode") && OfRing(e, rep, seq)).Select(e => e.GetProperty("mode").GetString()).LastOrDefault();
            return mode != null;
        }, 15_000), $"node {node.Id} reported no ring mode for ring {rep}.{seq:x}:\n{CpgInteropTests.Read(node.EventsFile)}");
        return mode!;
    }

    /// <summary>The first regular ring with exactly <paramref name="members"/> that FastTotem reported after <paramref name="from"/>.</summary>
    private static (uint Rep, ulong Seq) WaitForRegular(LabNode node, uint[] members, long from)
    {
        JsonElement found = default;
        Assert.True(CpgInteropTests.WaitFor(() =>
        {
            found = Events(node, from).FirstOrDefault(e => Is(e, "config") && e.GetProperty("type").GetString() == "regular"
                && e.GetProperty("members").EnumerateArray().Select(x => x.GetUInt32()).SequenceEqual(members));
            return found.ValueKind == JsonValueKind.Object;
        }, 15_000), $"node {node.Id} never reported a ring of [{string.Join(',', members)}]:\n{CpgInteropTests.Read(node.EventsFile)}");
        JsonElement ring = found.GetProperty("ring");
        return (ring.GetProperty("rep").GetUInt32(), ring.GetProperty("seq").GetUInt64());
    }

    private static bool Is(JsonElement e, string kind) => e.GetProperty("event").GetString() == kind;

    private static bool OfRing(JsonElement e, uint rep, ulong seq) =>
        e.TryGetProperty("ring", out JsonElement ring) && ring.GetProperty("rep").GetUInt32() == rep && ring.GetProperty("seq").GetUInt64() == seq;

    private static JsonElement[] Events(LabNode node, long from)
    {
        string text = CpgInteropTests.Read(node.EventsFile);
        return text[(int)Math.Min(from, text.Length)..].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.EndsWith('}'))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
    }

    private static long EventsLength(LabNode node) => CpgInteropTests.Read(node.EventsFile).Length;

    /// <summary>A totem SRP counter of the daemon (corosync-cmapctl -m stats stats.srp.NAME).</summary>
    private static ulong SrpStat(NetLab lab, LabNode daemon, string name)
    {
        string text = lab.Exec(daemon, "corosync-cmapctl", "-m", "stats", $"stats.srp.{name}");
        Match m = Regex.Match(text, @"=\s*(\d+)");
        Assert.True(m.Success, $"corosync-cmapctl gave no stats.srp.{name}: {text}");
        return ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>utime + stime of the daemon, in clock ticks (100 per second), from /proc/PID/stat.</summary>
    private static long CpuTicks(Process daemon)
    {
        string stat = File.ReadAllText($"/proc/{daemon.Id}/stat");
        Assert.Contains("(corosync)", stat, StringComparison.Ordinal);
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
