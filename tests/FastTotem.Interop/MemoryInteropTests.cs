using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace FastTotem.Interop;

/// <summary>
/// The memory targets of docs/limits.md: a FastTotem member with default settings, after it has sent and received a
/// 1 MiB CPG message across a ring of two corosync 3.1.7 daemons, stays at or below 96 MiB resident at netmtu 1,500
/// and 160 MiB at netmtu 65,536. The peak (VmHWM) is what is asserted; the daemons' own figures are printed beside it.
/// </summary>
public class MemoryInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Form = TimeSpan.FromSeconds(20);

    [SkippableTheory]
    [InlineData(1500, 96)]
    [InlineData(65536, 160)]
    public void AMemberStaysWithinItsMemoryTargetAfterAOneMebibyteCpgExchange(int netMtu, int targetMib)
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem) && File.Exists(Repo.CpgProbe), "run ./build.sh first");
        using var lab = new NetLab();
        LabNode[] n = { lab.AddHost(1), lab.AddHost(2), lab.AddHost(3) };
        foreach (LabNode node in n)
        {
            string conf = lab.CorosyncConf(node, new[] { 1, 2, 3 });
            File.WriteAllText(conf, File.ReadAllText(conf).Replace("\ttoken: 1000\n", $"\ttoken: 1000\n\tnetmtu: {netMtu}\n", StringComparison.Ordinal));
        }

        Process daemon1 = lab.StartCorosync(n[0]);
        Process daemon2 = lab.StartCorosync(n[1]);
        Assert.True(NetLab.WaitForLog(n[0], @"Members\[2\]: 1 2", Form));

        // 1 MiB + 1 KiB each way (CPG partial mcasts, fragmented by totempg at the configured netmtu). FastTotem
        // waits for a third message that never comes, so it is still running when its memory is read.
        const string size = "1049600";
        Process ft = lab.StartInNamespace(n[2], Repo.FastTotem,
            "cpg", "-c", n[2].ConfigFile, "--wait-ring", "3", "-g", "mem", "-e", "3", "-t", "60", "-v", "-n", "1", "-s", size, "-m", "2");
        string ftOut = NetLab.OutputOf(n[2], ft, Repo.FastTotem);
        Assert.True(CpgInteropTests.WaitFor(() => CpgInteropTests.Read(ftOut).Contains("ready nodeid=3", StringComparison.Ordinal), 30_000), "FastTotem never got ready:\n" + CpgInteropTests.Read(ftOut));
        Process probe = lab.StartInNamespace(n[0], Repo.CpgProbe, "-g", "mem", "-e", "2", "-t", "60", "-v", "-n", "1", "-s", size, "-m", "2");
        string probeOut = NetLab.OutputOf(n[0], probe, Repo.CpgProbe);
        Assert.True(probe.Finished(60_000), "cpgprobe did not receive both messages:\n" + CpgInteropTests.Read(probeOut));
        Assert.True(CpgInteropTests.WaitFor(() => Regex.IsMatch(CpgInteropTests.Read(ftOut), $@"recv from=1:{probe.Id} seq=1 size={size} "), 30_000),
            "FastTotem did not receive the probe's message:\n" + CpgInteropTests.Read(ftOut));
        Thread.Sleep(500);

        (long ftRss, long ftPeak) = Memory(ft.Id);
        (long d1Rss, long d1Peak) = Memory(daemon1.Id);
        (long d2Rss, long d2Peak) = Memory(daemon2.Id);
        output.WriteLine($"netmtu {netMtu}: FastTotem VmRSS {Mib(ftRss)} MiB, VmHWM {Mib(ftPeak)} MiB (target {targetMib} MiB); "
            + $"corosync 1 VmRSS {Mib(d1Rss)} MiB, VmHWM {Mib(d1Peak)} MiB; corosync 2 VmRSS {Mib(d2Rss)} MiB, VmHWM {Mib(d2Peak)} MiB");
        Assert.True(ftPeak > 0 && ftPeak <= targetMib * 1024L * 1024, $"FastTotem peaked at {Mib(ftPeak)} MiB at netmtu {netMtu}, above {targetMib} MiB");
    }

    /// <summary>VmRSS and VmHWM of a process in bytes, from /proc/PID/status.</summary>
    private static (long Rss, long Peak) Memory(int pid)
    {
        string status = File.ReadAllText($"/proc/{pid}/status");
        return (Kib(status, "VmRSS") * 1024, Kib(status, "VmHWM") * 1024);
    }

    private static long Kib(string status, string key)
    {
        Match m = Regex.Match(status, $@"(?m)^{key}:\s+(\d+) kB");
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F1", CultureInfo.InvariantCulture);
}
