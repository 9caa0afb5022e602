using System.Diagnostics;

namespace FastTotem.Interop;

/// <summary>
/// The command line explains itself: --help on every command lists its options, --version prints the build's
/// version, a wrong flag is a usage error (exit 2) that says what was wrong, and `completion bash` is a valid bash
/// script naming the verbs. Runs the published out/fasttotem and out/fasttotem-lab as a user would.
/// </summary>
public class CliHelpTests
{
    private static string Lab => Path.Combine(Repo.Root, "out", "fasttotem-lab");

    private static (int Code, string Out, string Err) Run(string program, params string[] args)
    {
        Assert.True(File.Exists(program), $"{program} is missing: run ./build.sh");
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.Finished(60_000), $"{program} {string.Join(' ', args)} did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// A single-valued option given twice keeps its last value, as the verbs' readers and cpgprobe's getopt always did
    /// (found by the knet loss test, which appends "-e N" to a stream that already had one: System.CommandLine refused
    /// it, the member never started). Here the first --seconds is out of range: only the last may count.
    /// </summary>
    [Fact]
    public void ARepeatedOptionKeepsItsLastValue()
    {
        (int code, string output, string error) = Run(Repo.FastTotem, "demo", "--seconds", "9999", "--size", "100000000", "--seconds=1", "--size", "64");
        Assert.True(code == 0, $"exit {code}: {output}{error}");
        (int bad, _, string badError) = Run(Repo.FastTotem, "demo", "--seconds", "1", "--seconds", "9999");
        Assert.True(bad != 0, "the last --seconds (9999, out of range) was not the one read");
        Assert.Contains("seconds", badError);
    }

    [Theory]
    [InlineData("run", "--config", "-c", "--nodeid", "--events", "--drops", "--cpg")]
    [InlineData("demo", "--seconds", "--size", "--rate", "--port")]
    [InlineData("cpg", "-c", "--config", "--nodeid", "--wait-ring", "-g", "--group", "-s", "-r", "-n", "-m", "-t", "-e", "-v")]
    [InlineData("decode", "FILE", "--port", "--authkey", "--json")]
    [InlineData("completion", "SHELL")]
    public void EveryCommandsHelpListsItsOptions(string verb, params string[] options)
    {
        (int code, string output, string error) = Run(Repo.FastTotem, verb, "--help");
        Assert.True(code == 0, output + error);
        foreach (string option in options)
        {
            Assert.Contains(option, output);
        }

        // -h is the same.
        (int shortCode, string shortOutput, _) = Run(Repo.FastTotem, verb, "-h");
        Assert.Equal(0, shortCode);
        Assert.Equal(output, shortOutput);
    }

    [Theory]
    [InlineData("sim", "--nodes", "--seed", "--duration", "--all-faults", "--stack")]
    [InlineData("bench", "--sizes", "--systems", "--json", "--compare", "--latency", "--baseline")]
    [InlineData("bench-node")]
    [InlineData("bench-latency-node")]
    [InlineData("bench-udp")]
    public void LabVerbsAnswerHelpThroughFastTotemAndDirectly(string verb, params string[] options)
    {
        foreach (string program in new[] { Repo.FastTotem, Lab })
        {
            (int code, string output, string error) = Run(program, verb, "--help");
            Assert.True(code == 0, $"{program}: {output}{error}");
            Assert.Contains("Usage:", output);
            foreach (string option in options)
            {
                Assert.Contains(option, output);
            }
        }
    }

    [Fact]
    public void RootHelpListsTheVerbsAndExitCodes()
    {
        (int code, string output, _) = Run(Repo.FastTotem, "--help");
        Assert.Equal(0, code);
        foreach (string verb in new[] { "run", "demo", "cpg", "decode", "completion", "sim", "bench" })
        {
            Assert.Matches($@"(?m)^\s+{verb}\b", output);
        }

        Assert.Contains("2 usage", output);
        // No command at all: the help on stderr, exit 2.
        (int bare, string bareOut, string bareErr) = Run(Repo.FastTotem);
        Assert.Equal(2, bare);
        Assert.Equal("", bareOut);
        Assert.Contains("decode", bareErr);
    }

    [Fact]
    public void VersionPrintsTheAssemblyVersion()
    {
        string expected = FileVersionInfo.GetVersionInfo(Path.Combine(Repo.Root, "out", "FastTotem.Cli.dll")).ProductVersion!;
        (int code, string output, _) = Run(Repo.FastTotem, "--version");
        Assert.Equal(0, code);
        Assert.Equal(expected, output.Trim());
        (int labCode, string labOutput, _) = Run(Lab, "--version");
        Assert.Equal(0, labCode);
        Assert.Equal(FileVersionInfo.GetVersionInfo(Path.Combine(Repo.Root, "out", "FastTotem.Lab.dll")).ProductVersion, labOutput.Trim());
    }

    [Theory]
    [InlineData("run", "-c", "x.conf", "--frobnicate")]
    [InlineData("demo", "--sizes", "10")]
    [InlineData("cpg", "-c", "x.conf", "-x")]
    [InlineData("decode", "a.pcap", "--jsn")]
    [InlineData("run", "--nodeid", "zero")]
    [InlineData("completion", "fish")]
    public void AWrongFlagExitsTwoNamingIt(params string[] args)
    {
        (int code, string output, string error) = Run(Repo.FastTotem, args);
        Assert.True(code == 2, $"exit {code}: {output}{error}");
        Assert.Equal("", output);
        Assert.Contains($"fasttotem {args[0]}: ", error);
        Assert.Contains(args[^1], error);
        Assert.Contains($"see 'fasttotem {args[0]} --help'", error);
    }

    [Fact]
    public void LongAliasesReachTheSameReader()
    {
        // cpg's reader knows cpgprobe's short names; --config is an alias the tree maps onto -c.
        (int code, _, string error) = Run(Repo.FastTotem, "cpg", "--config", "/nonexistent/corosync.conf", "--group", "g");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/corosync.conf", error);
        Assert.DoesNotContain("bad argument", error);
    }

    [Fact]
    public void CompletionBashIsValidBashNamingTheVerbs()
    {
        (int code, string script, string error) = Run(Repo.FastTotem, "completion", "bash");
        Assert.True(code == 0, error);
        foreach (string verb in new[] { "run", "demo", "cpg", "decode", "completion", "sim", "bench" })
        {
            Assert.Contains(verb, script);
        }

        Assert.Contains("--nodeid", script);
        Assert.Contains("complete -F _fasttotem fasttotem", script);
        string path = Path.Combine(Path.GetTempPath(), $"fasttotem-completion-{Environment.ProcessId}.bash");
        File.WriteAllText(path, script);
        try
        {
            (int syntax, string syntaxOut, string syntaxErr) = Run("/bin/bash", "-n", path);
            Assert.True(syntax == 0, syntaxOut + syntaxErr);
            // Loaded into a shell, it completes a verb's options from what was typed.
            string probe = $"source {path}; COMP_WORDS=(fasttotem run --no); COMP_CWORD=2; _fasttotem; echo \"${{COMPREPLY[*]}}\"";
            (int run, string completed, string runErr) = Run("/bin/bash", "-c", probe);
            Assert.True(run == 0, runErr);
            Assert.Equal("--nodeid", completed.Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// `fasttotem sim --TAB` and `fasttotem bench --TAB` offer the lab verbs' options (fasttotem compiles in the lab's
    /// option table), fasttotem-lab completes itself the same way, and every option the verbs' own readers print in
    /// their usage is among them.
    /// </summary>
    [Theory]
    [InlineData("sim", "--bogus", "--nodes", "--seed", "--duration", "--all-faults", "--accelerated", "--stack", "--socket-buffer")]
    [InlineData("bench", "--bogus", "--sizes", "--systems", "--json", "--compare", "--latency", "--baseline", "--interleave", "--keep")]
    public void CompletionOffersTheLabVerbsOptions(string verb, string badOption, params string[] options)
    {
        foreach (string program in new[] { Repo.FastTotem, Lab })
        {
            string name = Path.GetFileName(program);
            (int code, string script, string error) = Run(program, "completion", "bash");
            Assert.True(code == 0, $"{name}: {error}");
            string function = "_" + name.Replace('-', '_');
            Assert.Contains($"complete -F {function} {name}", script);
            string path = Path.Combine(Path.GetTempPath(), $"{name}-completion-{Environment.ProcessId}-{verb}.bash");
            File.WriteAllText(path, script);
            try
            {
                string Complete(params string[] words) =>
                    Run("/bin/bash", "-c", $"source {path}; COMP_WORDS=({name} {string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length}; {function}; echo \"${{COMPREPLY[*]}}\"").Out.Trim();

                string[] offered = Complete(verb, "--").Split(' ');
                foreach (string option in options)
                {
                    Assert.Contains(option, offered);
                }

                // What the verb's own reader accepts (its usage, printed on a bad option) is all offered.
                (int bad, _, string usage) = Run(program, verb, badOption);
                Assert.Equal(2, bad);
                foreach (string option in System.Text.RegularExpressions.Regex.Matches(usage, @"(?<![\w-])--[a-z][a-z-]+").Select(m => m.Value).Distinct())
                {
                    if (option != badOption)
                    {
                        Assert.Contains(option, offered);
                    }
                }

                // A value is not completed with options; a file name is.
                Assert.Equal("", Complete(verb, verb == "sim" ? "--nodes" : "--runs", ""));
                if (verb == "bench")
                {
                    Assert.Equal(path, Complete(verb, "--json", path[..^5]));
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>fasttotem-lab answers like fasttotem: --help and --version exit 0, usage errors exit 2 naming the command.</summary>
    [Theory]
    [InlineData(0, "--help")]
    [InlineData(0, "-h")]
    [InlineData(0, "--version")]
    [InlineData(0, "sim", "--help")]
    [InlineData(0, "completion", "--help")]
    [InlineData(2)]
    [InlineData(2, "--frobnicate")]
    [InlineData(2, "nosuchverb")]
    [InlineData(2, "completion", "fish")]
    [InlineData(2, "sim", "--nodes", "99")]
    [InlineData(2, "bench", "--runs", "x")]
    public void TheLabAnswersWithTheSameExitCodes(int expected, params string[] args)
    {
        (int code, string output, string error) = Run(Lab, args);
        Assert.True(code == expected, $"fasttotem-lab {string.Join(' ', args)}: exit {code}, not {expected}\n{output}{error}");
        if (expected == 0)
        {
            Assert.NotEqual("", output.Trim());
        }
        else if (expected == 2)
        {
            Assert.Equal("", output);
            Assert.Contains("fasttotem", error);
            if (args.Length > 0 && args[0] != "sim" && args[0] != "bench")
            {
                Assert.Contains("see 'fasttotem-lab", error);
            }
        }
    }

    [Fact]
    public async Task ALabVerbWithoutTheLabSaysWhatIsMissing()
    {
        var psi = new ProcessStartInfo(Repo.FastTotem) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("sim");
        psi.Environment["FASTTOTEM_LAB"] = "/nonexistent/fasttotem-lab";
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.Finished(60_000));
        Assert.Equal(1, p.ExitCode);
        Assert.Contains("fasttotem-lab", await stderr);
    }

    [Fact]
    public void SimThroughFastTotemKeepsItsOutputAndExitCode()
    {
        (int code, string output, string error) = Run(Repo.FastTotem, "sim", "--nodes", "3", "--seed", "7", "--duration", "10s");
        Assert.True(code == 0, output + error);
        (int direct, string directOutput, _) = Run(Lab, "sim", "--nodes", "3", "--seed", "7", "--duration", "10s");
        Assert.Equal(0, direct);
        // Everything but the wall-clock figures (the summary's "real time" line) is the same run.
        static string Virtual(string text) => string.Join('\n', text.Split('\n').Where(l => !l.Contains("real time", StringComparison.Ordinal)));
        Assert.Contains("real time", output);
        Assert.Equal(Virtual(directOutput), Virtual(output));
        (int bad, _, string badError) = Run(Repo.FastTotem, "sim", "--nodes", "99");
        Assert.Equal(2, bad);
        Assert.Contains("fasttotem sim", badError);
    }
}
