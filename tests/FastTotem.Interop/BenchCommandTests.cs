using System.Diagnostics;
using System.Text.Json;

namespace FastTotem.Interop;

/// <summary>
/// <c>fasttotem bench</c> end to end, short: FastTotem node processes in namespaces, a corosync ring with
/// native/cpgprobe -G, and raw UDP, one size; the JSON must hold real, loss-free measurements and no namespace of
/// the bench may be left behind.
/// </summary>
public class BenchCommandTests
{
    [Fact]
    public async Task BenchMeasuresFastTotemCorosyncAndUdpAndCleansUp()
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.CpgProbe), $"{Repo.CpgProbe} is missing: run ./build.sh native");
        string json = Path.Combine(Path.GetTempPath(), $"ftbench-test-{Environment.ProcessId}.json");
        var psi = new ProcessStartInfo(Repo.FastTotem) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            "bench", "--systems", "fasttotem,corosync,udp,wire", "--sizes", "1024", "--senders", "one",
            "--warmup", "1", "--seconds", "1.5", "--rate-latency", "0", "--json", json,
        })
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.Finished(180_000), "fasttotem bench did not finish");
        string output = await stdout + await stderr;
        Assert.True(p.ExitCode == 0, output);

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        File.Delete(json);
        var medians = doc.RootElement.GetProperty("medians").EnumerateArray().ToDictionary(m => m.GetProperty("system").GetString()!);
        foreach (string system in new[] { "fasttotem", "corosync", "udp", "wire" })
        {
            JsonElement m = medians[system];
            Assert.True(m.GetProperty("error").ValueKind == JsonValueKind.Null, $"{system}: {m.GetProperty("error")}");
            Assert.True(m.GetProperty("msgs_per_s").GetDouble() > 100, $"{system}: {m}");
            Assert.True(m.GetProperty("cpu_percent_per_node").GetDouble() > 0, $"{system}: {m}");
        }

        foreach (string system in new[] { "fasttotem", "corosync" })
        {
            JsonElement m = medians[system];
            Assert.Equal(0, m.GetProperty("gaps").GetInt64());
            Assert.Equal(0, m.GetProperty("reorders").GetInt64());
            double p50 = m.GetProperty("p50_ms").GetDouble(), p99 = m.GetProperty("p99_ms").GetDouble();
            Assert.True(p50 > 0 && p99 >= p50, $"{system}: {m}");
            Assert.InRange(m.GetProperty("bytes_per_s").GetDouble() / m.GetProperty("msgs_per_s").GetDouble(), 1023.5, 1024.5);
        }

        // The node loops count their kernel work: every delivered message costs some share of a system call and a packet.
        JsonElement ft = medians["fasttotem"];
        Assert.True(ft.GetProperty("syscalls_per_msg").GetDouble() > 0, $"{ft}");
        Assert.True(ft.GetProperty("packets_per_msg").GetDouble() > 0, $"{ft}");
        Assert.True(ft.GetProperty("cpu_us_per_msg").GetDouble() > 0, $"{ft}");

        // The FastTotem node reports the managed heap's growth over the window: well under a byte per message.
        Assert.InRange(medians["fasttotem"].GetProperty("alloc_bytes_per_msg").GetDouble(), 0, 1);
        string namespaces = Process.Start(new ProcessStartInfo("ip", "netns list") { RedirectStandardOutput = true })!.StandardOutput.ReadToEnd();
        Assert.DoesNotContain($"ftb{p.Id % 200 + 20}n", namespaces);
    }

    /// <summary>
    /// The mixed ring: a FastTotem node flooding corosync daemons that receive with cpgprobe, against a corosync-only
    /// ring. Both systems must measure, the mixed ring must lose, reorder and re-form nothing, and the report must
    /// show both rings' figures side by side with the daemons' CPU and retransmits.
    /// </summary>
    [Fact]
    public async Task BenchMixedRingComparesWithCorosyncAndLeavesTheDaemonsUndisturbed()
    {
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.CpgProbe), $"{Repo.CpgProbe} is missing: run ./build.sh native");
        string json = Path.Combine(Path.GetTempPath(), $"ftbench-mixed-{Environment.ProcessId}.json");
        var psi = new ProcessStartInfo(Repo.FastTotem) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            "bench", "--systems", "mixed,corosync", "--sizes", "1024", "--senders", "one", "--runs", "1",
            "--warmup", "1", "--seconds", "2", "--rate-latency", "0", "--json", json,
        })
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.Finished(120_000))
        {
            // SIGTERM: the bench stops its daemons and deletes its namespaces before it exits.
            Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            p.Finished(20_000);
            Assert.Fail("fasttotem bench --systems mixed,corosync did not finish within 120 s");
        }

        string report = await stdout;
        string output = report + await stderr;
        Assert.True(p.ExitCode == 0, output);

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        File.Delete(json);
        var medians = doc.RootElement.GetProperty("medians").EnumerateArray().ToDictionary(m => m.GetProperty("system").GetString()!);
        foreach (string system in new[] { "mixed", "corosync" })
        {
            JsonElement m = medians[system];
            Assert.True(m.GetProperty("error").ValueKind == JsonValueKind.Null, $"{system}: {m.GetProperty("error")}\n{output}");
            Assert.True(m.GetProperty("msgs_per_s").GetDouble() > 100, $"{system}: {m}");
            Assert.InRange(m.GetProperty("bytes_per_s").GetDouble() / m.GetProperty("msgs_per_s").GetDouble(), 1023.5, 1024.5);
            Assert.True(m.GetProperty("daemon_cpu_percent").GetDouble() > 0, $"{system}: the daemons' CPU is missing: {m}");
            Assert.True(m.GetProperty("daemon_retransmits").GetInt64() >= 0, $"{system}: the daemons' retransmits were not read: {m}");
        }

        // Issue 17's conditions for the mixed ring: nothing lost, nothing out of order, no membership change.
        JsonElement mixed = medians["mixed"];
        Assert.True(mixed.GetProperty("gaps").GetInt64() == 0, $"{mixed}");
        Assert.True(mixed.GetProperty("reorders").GetInt64() == 0, $"{mixed}");
        Assert.True(mixed.GetProperty("ring_changes").GetInt64() == 0, $"the ring changed during the window: {mixed}\n{output}");

        // The report puts both rings side by side: a row for 1 KiB with both msgs/s and their ratio.
        string row = report.Split('\n').FirstOrDefault(l => l.StartsWith("| 1 KiB |", StringComparison.Ordinal) && l.Contains('x')) ?? "";
        string[] cells = row.Split('|', StringSplitOptions.TrimEntries);
        Assert.True(cells.Length > 5, $"no mixed row in the report:\n{report}");
        Assert.Equal(Count(mixed.GetProperty("msgs_per_s").GetDouble()), cells[2]);
        Assert.Equal(Count(medians["corosync"].GetProperty("msgs_per_s").GetDouble()), cells[3]);
        Assert.Matches(@"^\d+\.\d\dx$", cells[4]);
        Assert.Contains("leaves the daemons undisturbed", report, StringComparison.Ordinal);
        string namespaces = Process.Start(new ProcessStartInfo("ip", "netns list") { RedirectStandardOutput = true })!.StandardOutput.ReadToEnd();
        Assert.DoesNotContain($"ftb{p.Id % 200 + 20}n", namespaces);
    }

    private static string Count(double v) => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
}
