using System.Diagnostics;
using FastTotem.Fuzz;
using Xunit.Abstractions;

namespace FastTotem.Fuzz.Tests;

/// <summary>
/// Every file of the kept fuzz corpus (fuzz/corpus/TARGET, grown by <c>./build.sh fuzz</c>) and every crash input
/// kept as a regression (tests/FastTotem.Fuzz.Tests/crashes/TARGET) runs through its target's in-process entry point,
/// uninstrumented: no exception escapes and the target's invariants hold (docs/fuzzing.md).
/// </summary>
public class FuzzCorpusReplayTests(ITestOutputHelper output)
{
    /// <summary>The kept corpus stays small enough for the repository and for this test's time.</summary>
    private const long CorpusBytesMax = 5L * 1024 * 1024;

    public static TheoryData<string> Targets() => new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Corpus_and_kept_crashes_replay_cleanly(string name)
    {
        IFuzzTarget target = FuzzTargets.Create(name)!;
        List<string> files = Inputs(Path.Combine(RepoRoot(), "fuzz", "corpus", name));
        Assert.True(files.Count > 0, $"fuzz/corpus/{name} is empty");
        files.AddRange(Inputs(Path.Combine(RepoRoot(), "tests", "FastTotem.Fuzz.Tests", "crashes", name)));

        var failures = new List<string>();
        var watch = Stopwatch.StartNew();
        foreach (string file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(RepoRoot(), file)}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }

        output.WriteLine($"{name}: {files.Count} inputs in {watch.ElapsedMilliseconds} ms, {failures.Count} failed");
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Count} {name} inputs failed:\n" + string.Join("\n", failures.Take(5)));
    }

    public static TheoryData<string> NodeTargets() => new("datagram", "engine");

    /// <summary>
    /// The node targets restore their rings from a snapshot for every input: after any sequence of earlier inputs, an
    /// input must do exactly what it does to rings built from nothing (same fingerprint of clock, counters, states,
    /// rings, memberships and datagrams in flight), or a finding would not replay and coverage would be noise.
    /// </summary>
    [Theory]
    [MemberData(nameof(NodeTargets))]
    public void Restored_rings_behave_as_rings_built_from_nothing(string name)
    {
        const int Sampled = 12;
        List<string> files = Inputs(Path.Combine(RepoRoot(), "fuzz", "corpus", name));
        files.AddRange(Inputs(Path.Combine(RepoRoot(), "tests", "FastTotem.Fuzz.Tests", "crashes", name)));
        Assert.True(files.Count > 0, $"fuzz/corpus/{name} is empty");
        var sample = new HashSet<int>(Enumerable.Range(0, Sampled).Select(i => i * files.Count / Sampled));
        IFuzzTarget restored = FuzzTargets.Create(name)!;
        IFuzzTarget fresh = FuzzTargets.Create(name, reuse: false)!;
        var mismatches = new List<string>();
        for (int i = 0; i < files.Count; i++)
        {
            byte[] input = File.ReadAllBytes(files[i]);
            ulong afterRestore = RunForFingerprint(restored, input);
            if (sample.Contains(i))
            {
                ulong afterFresh = RunForFingerprint(fresh, input);
                if (afterRestore != afterFresh)
                {
                    mismatches.Add($"{Path.GetFileName(files[i])}: restored {afterRestore:x16}, fresh {afterFresh:x16}");
                }
            }
        }

        output.WriteLine($"{name}: {files.Count} inputs from restored rings, {sample.Count} compared with fresh rings");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static ulong RunForFingerprint(IFuzzTarget target, byte[] input)
    {
        try
        {
            target.Run(input);
        }
        catch (Exception)
        {
            // The corpus test reports failures; here only what the ring did counts.
        }

        return target switch
        {
            DatagramTarget d => d.LastFingerprint,
            EngineTarget e => e.LastFingerprint,
            _ => throw new ArgumentException(target.Name),
        };
    }

    [Fact]
    public void Kept_corpus_is_at_most_5_MiB()
    {
        string root = Path.Combine(RepoRoot(), "fuzz", "corpus");
        long bytes = Directory.GetFiles(root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        output.WriteLine($"fuzz/corpus: {bytes} bytes");
        Assert.InRange(bytes, 1, CorpusBytesMax);
    }

    private static List<string> Inputs(string directory) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToList() : [];

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastTotem.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FastTotem.sln not found above " + AppContext.BaseDirectory);
    }
}
