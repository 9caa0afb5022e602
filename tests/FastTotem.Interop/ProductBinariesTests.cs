using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;

namespace FastTotem.Interop;

/// <summary>
/// What ./build.sh publishes for users carries no tooling: the NativeAOT libfasttotem.so has none of the simulator's,
/// the lab's, the capture decoder's or the fuzzer's code in it, and the fasttotem command neither contains nor
/// depends on the simulator or the lab (those are fasttotem-lab's).
/// </summary>
public class ProductBinariesTests
{
    // Types only the tooling has. Each is a name NativeAOT would keep (in its symbols or its stack-trace
    // metadata) had any of its methods been compiled in.
    private static readonly string[] ToolingTypes =
    [
        "Simulator", "TotemChecker", "SimRunner", "BenchLab", "NetLab", "BenchCommand", "DecoderFuzzer",
        "TotemCaptureDecoder", "PcapNgReader",
    ];

    [Fact]
    public void TheNativeLibraryHasNoToolingCode()
    {
        string so = Path.Combine(Repo.Root, "out", "native", "lib", "libfasttotem.so");
        Assert.True(File.Exists(so), $"{so} is missing: run ./build.sh native");
        string text = Encoding.Latin1.GetString(File.ReadAllBytes(so));
        // The control: the same search finds the library's own engine, so a miss below is an absence.
        Assert.Contains("SrpEngine", text);
        Assert.Contains("NodeMachine", text);
        foreach (string name in ToolingTypes)
        {
            Assert.DoesNotContain(name, text);
        }
    }

    [Fact]
    public void TheCommandHasNoSimulatorOrLabCode()
    {
        string dll = Path.Combine(Repo.Root, "out", "FastTotem.Cli.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: run ./build.sh");
        using var pe = new PEReader(File.OpenRead(dll));
        MetadataReader md = pe.GetMetadataReader();
        string[] types = md.TypeDefinitions.Select(h => md.GetTypeDefinition(h)).Select(t => $"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}").ToArray();
        string[] references = md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToArray();
        Assert.Contains("FastTotem.Cli.RunCommand", types);
        Assert.DoesNotContain(types, t => t.StartsWith("FastTotem.Cli.Bench.", StringComparison.Ordinal) || t.StartsWith("FastTotem.Sim.", StringComparison.Ordinal));
        Assert.DoesNotContain(types, t => ToolingTypes.Any(n => t.EndsWith("." + n, StringComparison.Ordinal)) && !t.Contains("Capture", StringComparison.Ordinal));
        Assert.Contains("FastTotem", references);
        Assert.DoesNotContain("FastTotem.Sim", references);
        Assert.DoesNotContain("FastTotem.Lab", references);

        // The dependency list the runtime loads the command from.
        using JsonDocument deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "out", "FastTotem.Cli.deps.json")));
        string[] libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains(libraries, l => l.StartsWith("FastTotem/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, l => l.StartsWith("FastTotem.Sim/", StringComparison.Ordinal) || l.StartsWith("FastTotem.Lab/", StringComparison.Ordinal));
    }
}
