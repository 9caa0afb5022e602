using System.Diagnostics;

namespace FastTotem.Interop;

/// <summary>The published command (out/fasttotem) as a user runs it: no root, no corosync needed.</summary>
public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        var psi = new ProcessStartInfo(Repo.FastTotem) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.Finished(60_000), "fasttotem did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void DemoFormsARingAgreesOnOrderAndReforms()
    {
        (int code, string output, string error) = Run("demo", "--seconds", "1", "--rate", "500");
        Assert.True(code == 0, output + error);
        // The ring seq of the first three-member ring depends on how the nodes' singleton rings and merges interleave
        // (1.9 usually; the nodes start one after another through TotemNode), so only the membership is pinned.
        Assert.Matches(@"regular configuration, ring 1\.\d+, members \[1 2 3\]", output);
        Assert.Matches(@"agreed order: identical on all 3 nodes \([\d,]+ messages each", output);
        Assert.Matches(@"re-formed as ring 1\.\d+ with members \[1 2\] and synchronised", output);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("run", "-c")]
    [InlineData("run", "-c", "x.conf", "--nodeid", "zero")]
    [InlineData("run", "-c", "x.conf", "--frobnicate")]
    [InlineData("demo", "--size", "1")]
    [InlineData("nonsense")]
    [InlineData("bench", "--baseline", "/nonexistent/fasttotem")]
    [InlineData("bench", "--systems", "fasttotem,baseline")]
    public void BadArgumentsExitTwoWithAReason(params string[] args)
    {
        (int code, _, string error) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains("fasttotem", error);
    }

    [Fact]
    public void BrokenConfigExitsTwoNamingTheLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fasttotem-broken-{Environment.ProcessId}.conf");
        File.WriteAllText(path, "totem {\n\ttransport: udpu\n\tcrypto_cipher: aes256\n}\n");
        try
        {
            (int code, _, string error) = Run("run", "-c", path, "--nodeid", "1");
            Assert.Equal(2, code);
            Assert.Contains($"{path}:3: crypto_cipher 'aes256' is only valid for the knet transport", error);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
