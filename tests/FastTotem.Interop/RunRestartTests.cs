using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FastTotem.Interop;

/// <summary>
/// <c>fasttotem run</c>'s restart loop (docs/fault-policy.md): after a protocol fault a fresh node with the same nodeid
/// and ring-seq store starts 1 s later, at most 5 times a minute, restarts counted; exit code 3 only when it gives
/// up. The faults come from the command's test switch FASTTOTEM_TEST_FAULTS=N (the first N incarnations fault right
/// after their first synchronisation). A singleton udpu ring on a loopback address of its own; no root needed.
/// </summary>
public class RunRestartTests
{
    [Fact]
    public void FaultsBeyondFiveAMinuteMakeRunGiveUpWithExitCodeThree()
    {
        using var node = RunNode.Start(faults: 100, addressSalt: 1);
        Assert.True(node.Process.Finished(60_000), "run did not give up within a minute");
        string err = node.Stderr();
        Assert.True(node.Process.ExitCode == 3, $"exit code {node.Process.ExitCode}\n{err}");
        Assert.Contains("fasttotem: giving up: 5 restarts within a minute", err);
        for (int k = 1; k <= 5; k++)
        {
            Assert.Contains($"fasttotem: node 7 restarted from {node.ConfigPath}", err);
            Assert.Contains($"starting a fresh node in 1 s (restart {k} of at most 5 a minute)", err);
        }

        Assert.DoesNotContain("restart 6", err);
        // Six incarnations, each faulting after its first sync, 1 s apart at least.
        Assert.Equal(6, Regex.Matches(err, "node 7 (started|restarted) from").Count);
        Assert.True(node.Elapsed.TotalSeconds >= 5, $"five restarts took {node.Elapsed.TotalSeconds:F1} s, less than 1 s apart");
        node.AssertRingSeqsIncrease(6);
    }

    [Fact]
    public void AfterTwoFaultsTheThirdNodeRunsAndStopsWithExitCodeZero()
    {
        using var node = RunNode.Start(faults: 2, addressSalt: 2);
        Assert.True(node.WaitForSyncs(3, 30_000), "the third incarnation never synchronised\n" + node.Stderr());
        Thread.Sleep(1500); // a fault after the third sync would show now
        Assert.False(node.Process.HasExited, "run ended on its own\n" + node.Stderr());
        using (Process kill = Process.Start("kill", ["-TERM", node.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            kill.WaitForExit();
        }

        Assert.True(node.Process.Finished(20_000), "run did not stop on SIGTERM");
        string err = node.Stderr();
        Assert.True(node.Process.ExitCode == 0, $"exit code {node.Process.ExitCode}\n{err}");
        Assert.Contains("(restart 1 of at most 5 a minute)", err);
        Assert.Contains("(restart 2 of at most 5 a minute)", err);
        Assert.DoesNotContain("restart 3", err);
        Assert.Contains("fasttotem: left the ring", err);
        node.AssertRingSeqsIncrease(3);
    }

    /// <summary>One <c>fasttotem run</c> of node 7 with its own config, state_dir and loopback address.</summary>
    private sealed class RunNode : IDisposable
    {
        private readonly string _dir;
        private readonly List<string> _out = [];
        private readonly List<string> _err = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        private RunNode(string dir, string configPath, Process process)
        {
            _dir = dir;
            ConfigPath = configPath;
            Process = process;
        }

        public Process Process { get; }

        public string ConfigPath { get; }

        public TimeSpan Elapsed => _clock.Elapsed;

        public static RunNode Start(int faults, int addressSalt)
        {
            Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
            int pid = Environment.ProcessId;
            string address = $"127.{100 + addressSalt}.{(pid >> 8) & 255}.{(pid & 254) | 1}";
            string dir = Path.Combine(Path.GetTempPath(), $"ft-restart-{pid}-{addressSalt}");
            Directory.CreateDirectory(Path.Combine(dir, "state"));
            string conf = Path.Combine(dir, "corosync.conf");
            File.WriteAllText(conf, $$"""
                totem {
                	version: 2
                	cluster_name: ftrestart
                	transport: udpu
                	crypto_cipher: none
                	crypto_hash: none
                	token: 1000
                }
                quorum {
                	provider: corosync_votequorum
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
            foreach (string a in new[] { "run", "-c", conf, "--nodeid", "7", "--events", "-" })
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["FASTTOTEM_TEST_FAULTS"] = faults.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Process p = Process.Start(psi)!;
            var node = new RunNode(dir, conf, p);
            p.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (node._out) { node._out.Add(e.Data); } } };
            p.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (node._err) { node._err.Add(e.Data); } } };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return node;
        }

        public string Stderr()
        {
            lock (_err)
            {
                return string.Join('\n', _err);
            }
        }

        public bool WaitForSyncs(int count, int milliseconds)
        {
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < milliseconds)
            {
                lock (_out)
                {
                    if (_out.Count(l => l.Contains("\"event\":\"sync-complete\"", StringComparison.Ordinal)) >= count)
                    {
                        return true;
                    }
                }

                Thread.Sleep(50);
            }

            return false;
        }

        /// <summary>
        /// Every incarnation's first ring is newer than the one before: the fresh node read the ring seq the faulted one
        /// stored (the same store), so its rings sort after the old incarnation's for the rest of the cluster.
        /// </summary>
        public void AssertRingSeqsIncrease(int incarnations)
        {
            var seqs = new List<ulong>();
            lock (_out)
            {
                foreach (string line in _out)
                {
                    Match m = Regex.Match(line, "\"event\":\"sync-complete\",\"ring\":\\{\"rep\":7,\"seq\":(\\d+)\\}");
                    if (m.Success)
                    {
                        seqs.Add(ulong.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }

            Assert.True(seqs.Count >= incarnations, $"{seqs.Count} synchronisations for {incarnations} incarnations");
            for (int i = 1; i < seqs.Count; i++)
            {
                Assert.True(seqs[i] > seqs[i - 1], $"ring seqs do not increase across restarts: {string.Join(", ", seqs)}");
            }

            Assert.True(File.Exists(Path.Combine(_dir, "state", "ringid_7")), "no ring-seq store in state_dir");
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
