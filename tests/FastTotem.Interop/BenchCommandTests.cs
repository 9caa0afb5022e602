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
}
