using System.Diagnostics;

namespace FastTotem.Interop;

/// <summary>
/// The long tooling operations show a progress line on a terminal and nothing when stderr is piped, with stdout the
/// same either way: `fasttotem sim`, the simulator sweep (./build.sh sweep) and the random decoder fuzz run
/// (./build.sh fuzz random) here; decode and bench go by the same helper. A terminal comes from script(1)'s
/// pseudo-terminal. No root needed.
/// </summary>
public class ProgressOutputTests
{
    /// <summary>The benchmark program that ./build.sh sweep and ./build.sh fuzz random run (the solution build makes it).</summary>
    private static string Benchmarks => Path.Combine(Repo.Root, "bench", "FastTotem.Benchmarks", "bin", "Release", "net10.0", "FastTotem.Benchmarks.dll");

    [Fact]
    public void SimPrintsNoProgressWhenPipedAndTheSameStdout()
    {
        string[] sim = ["sim", "--nodes", "3", "--seed", "11", "--duration", "20s"];
        (int code, string output, string error) = Run(Repo.FastTotem, sim);
        Assert.True(code == 0, output + error);
        AssertNoProgress(error, "fasttotem sim:");

        // On a terminal the line is there, and the run is the same one: the same events in the same order (the
        // progress runs the simulator in one-virtual-second slices).
        string terminal = OnTerminal(Repo.FastTotem, sim);
        Assert.Contains("fasttotem sim: virtual second", terminal);
        string fingerprint = output.Split('\n').Single(l => l.Contains("schedule fingerprint", StringComparison.Ordinal)).Trim();
        Assert.Contains(fingerprint, terminal);
        Assert.Contains(FirstLine(output), terminal);
    }

    [Fact]
    public void SweepPrintsNoProgressWhenPipedAndTheSameStdout()
    {
        Assert.True(File.Exists(Benchmarks), $"{Benchmarks} is missing: run ./build.sh");
        string[] sweep = [Benchmarks, "sweep", "3", "1", "--duration", "3s", "--nodes-max", "3"];
        (int code, string output, string error) = Run("dotnet", sweep);
        Assert.True(code == 0, output + error);
        AssertNoProgress(error, "sweep: seed");
        Assert.Contains("sweep: 3 seeds, 0 failed", output);

        string terminal = OnTerminal("dotnet", sweep);
        Assert.Contains("sweep: seed ", terminal);
        Assert.Contains(" of 3 (", terminal);
        Assert.Contains("sweep: 3 seeds, 0 failed", terminal);
    }

    [Fact]
    public void RandomFuzzPrintsNoProgressWhenPipedAndTheSameStdout()
    {
        Assert.True(File.Exists(Benchmarks), $"{Benchmarks} is missing: run ./build.sh");
        string[] fuzz = [Benchmarks, "fuzz", "30000", "5"];
        (int code, string output, string error) = Run("dotnet", fuzz);
        Assert.True(code == 0, output + error);
        AssertNoProgress(error, "fuzz: input");
        // The stdout lines are the run's: one at the end (under a million inputs), as before.
        Assert.Single(output.Split('\n'), l => l.StartsWith("fuzz: 30,000 inputs, 0 failures", StringComparison.Ordinal));

        string terminal = OnTerminal("dotnet", fuzz);
        Assert.Contains("fuzz: input ", terminal);
        Assert.Contains("fuzz: 30,000 inputs, 0 failures", terminal);
    }

    private static void AssertNoProgress(string error, string progressText)
    {
        Assert.DoesNotContain('\r', error);
        Assert.DoesNotContain(progressText, error);
        Assert.True(error.Length == 0, $"stderr was not empty: {error}");
    }

    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd();

    /// <summary>Runs the program with stdout and stderr piped (as a script would).</summary>
    private static (int Code, string Out, string Err) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.Finished(120_000), $"{program} {string.Join(' ', args)} did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs the program with stdout and stderr on a pseudo-terminal (script -q -e -c); returns what it showed.</summary>
    private static string OnTerminal(string program, params string[] args)
    {
        string command = string.Join(' ', new[] { program }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        (int code, string output, string error) = Run("script", "-q", "-e", "-c", command, "/dev/null");
        Assert.True(code == 0, $"on a terminal, {command} exited {code}: {output}{error}");
        return output;
    }
}
