using System.Diagnostics;
using System.Globalization;

namespace FastTotem.Interop;

/// <summary>
/// <c>fasttotem run</c> logs the node's control plane through ILogger (Microsoft.Extensions.Logging.Console): lines
/// with a level on stderr, from --log-level up (default information), while stdout keeps only what scripts read
/// (here --events - JSON lines). A singleton udpu ring on a loopback address of its own; no root needed.
/// </summary>
public class RunLoggingTests
{
    [Fact]
    public void MembershipIsLoggedAtInformationOnStderrAndStdoutKeepsItsEventLines()
    {
        (string stdout, string stderr) = RunUntilSynchronised(addressSalt: 1);
        // The node's own records, one line each, with a level and the category.
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d\.\d{3} info: FastTotem\.TotemNode\[1\] node 7 started \(udpu\)$", stderr);
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d\.\d{3} info: FastTotem\.TotemNode\[3\] node 7: ring 7\.\d+ formed with members \[7\]; joined \[7?\], left \[\]$", stderr);
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d\.\d{3} info: FastTotem\.TotemNode\[7\] node 7: synchronisation completed on ring 7\.\d+$", stderr);
        // The lines tests and scripts already read are still there, and stdout has nothing but the event lines.
        Assert.Contains("fasttotem: regular configuration ring", stderr);
        Assert.Contains("fasttotem: left the ring", stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("\"event\":\"sync-complete\"", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.StartsWith("{\"event\":", l));
    }

    [Fact]
    public void LogLevelWarningHidesTheMembershipLines()
    {
        (string stdout, string stderr) = RunUntilSynchronised(addressSalt: 2, "--log-level", "warning");
        Assert.DoesNotContain("info: ", stderr);
        Assert.DoesNotContain("formed with members", stderr);
        // The ring did form: the command's own lines and the events say so.
        Assert.Contains("fasttotem: regular configuration ring", stderr);
        Assert.Contains("\"event\":\"sync-complete\"", stdout);
    }

    /// <summary>Runs node 7 until its first synchronisation, stops it with SIGTERM, returns stdout and stderr.</summary>
    private static (string Stdout, string Stderr) RunUntilSynchronised(int addressSalt, params string[] extra)
    {
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        int pid = Environment.ProcessId;
        string address = $"127.{120 + addressSalt}.{(pid >> 8) & 255}.{(pid & 254) | 1}";
        string dir = Directory.CreateTempSubdirectory("ft-runlog-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "state"));
            string conf = Path.Combine(dir, "corosync.conf");
            File.WriteAllText(conf, $$"""
                totem {
                	version: 2
                	cluster_name: ftrunlog
                	transport: udpu
                	crypto_cipher: none
                	crypto_hash: none
                	token: 1000
                }
                system {
                	state_dir: {{Path.Combine(dir, "state")}}
                }
                nodelist {
                	node {
                		nodeid: 7
                		ring0_addr: {{address}}
                	}
                }
                """);
            var psi = new ProcessStartInfo(Repo.FastTotem) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "run", "-c", conf, "--nodeid", "7", "--events", "-" }.Concat(extra))
            {
                psi.ArgumentList.Add(a);
            }

            var stdout = new List<string>();
            var stderr = new List<string>();
            using Process p = Process.Start(psi)!;
            p.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (stdout) { stdout.Add(e.Data); } } };
            p.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (stderr) { stderr.Add(e.Data); } } };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            try
            {
                var clock = Stopwatch.StartNew();
                bool synced = false;
                while (!synced && clock.ElapsedMilliseconds < 30_000 && !p.HasExited)
                {
                    Thread.Sleep(50);
                    lock (stdout)
                    {
                        synced = stdout.Any(l => l.Contains("\"event\":\"sync-complete\"", StringComparison.Ordinal));
                    }
                }

                Assert.True(synced, "the node never synchronised\n" + Joined(stderr));
                // The logger writes from its own thread: give the records of the first sync a moment to be written.
                Thread.Sleep(300);
                using (Process kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)])!)
                {
                    kill.WaitForExit();
                }

                Assert.True(p.Finished(20_000), "run did not stop on SIGTERM");
                Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}\n{Joined(stderr)}");
                return (Joined(stdout), Joined(stderr));
            }
            finally
            {
                if (!p.HasExited)
                {
                    p.Kill();
                    p.WaitForExit();
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Joined(List<string> lines)
    {
        lock (lines)
        {
            return string.Join('\n', lines);
        }
    }
}
