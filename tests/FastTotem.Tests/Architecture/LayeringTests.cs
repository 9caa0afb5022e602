using System.Reflection;

namespace FastTotem.Tests.Architecture;

/// <summary>
/// The library's layers point down only (Wire &lt; Protocol &lt; Config &lt; Transport &lt; Hosting), and the product
/// assemblies (the library, libfasttotem, the fasttotem command) carry no tooling: no simulator, no lab, no fuzzing.
/// </summary>
public class LayeringTests
{
    private static readonly string[] Tooling = ["FastTotem.Sim", "FastTotem.Lab", "FastTotem.Fuzz", "FastTotem.Fuzz.Targets", "FastTotem.Benchmarks"];

    [Fact]
    public void NoLibraryTypeReferencesALayerAboveItsOwn()
    {
        Assembly library = typeof(FastTotem.Wire.TotemHeader).Assembly;
        List<string> violations = LayerChecker.Violations(library);
        Assert.True(violations.Count == 0, "upward references:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void EveryLibraryNamespaceHasALayer()
    {
        // A new folder must be given its place in the layers, or its types would escape the check above.
        string[] unplaced = typeof(FastTotem.Wire.TotemHeader).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("FastTotem", StringComparison.Ordinal) == true && LayerChecker.LayerOf(t) < 0)
            .Select(t => t.FullName!).ToArray();
        Assert.Empty(unplaced);
    }

    [Fact]
    public void TheCheckerFindsPlantedUpwardReferences()
    {
        List<string> found = LayerChecker.Violations(typeof(LayeringTests).Assembly, "FastTotem.Wire.LayeringPlant")
            .Concat(LayerChecker.Violations(typeof(LayeringTests).Assembly, "FastTotem.Protocol.LayeringPlant"))
            .Concat(LayerChecker.Violations(typeof(LayeringTests).Assembly, "FastTotem.Transport.LayeringPlant")).ToList();
        string all = string.Join('\n', found);
        // A field, a signature, and a call seen only in the IL.
        Assert.Contains(found, v => v.StartsWith("FastTotem.Wire.LayeringPlant.WireWithHostingField (Wire) -> FastTotem.Hosting.HostSubmitQueue (Hosting) via field", StringComparison.Ordinal));
        Assert.Contains(found, v => v.StartsWith("FastTotem.Protocol.LayeringPlant.ProtocolWithTransportParameter (Protocol) -> FastTotem.Transport.TransportCounters (Transport) via Count parameter", StringComparison.Ordinal));
        Assert.Contains(found, v => v.StartsWith("FastTotem.Protocol.LayeringPlant.ProtocolCallingConfig (Protocol) -> FastTotem.Config.CorosyncConfig (Config) via Read IL call Parse", StringComparison.Ordinal));
        Assert.Contains(found, v => v.StartsWith("FastTotem.Wire.LayeringPlant.WireWithGenericField (Wire) -> FastTotem.Hosting.DeliveryDoorbell (Hosting)", StringComparison.Ordinal));
        // Downward references are allowed.
        Assert.DoesNotContain("TransportUsingWire", all);
    }

    [Theory]
    [InlineData("FastTotem", false)]
    [InlineData("libfasttotem", false)]
    [InlineData("FastTotem.Cli", true)]
    public void ProductAssembliesReferenceNoTooling(string assemblyName, bool mayUseCaptureDecoder)
    {
        (List<string> tooling, HashSet<string> reached) = References(Assembly.Load(new AssemblyName(assemblyName)));
        Assert.True(tooling.Count == 0, $"{assemblyName} reaches {string.Join(", ", tooling)}");
        // The capture decoder serves `fasttotem decode`; neither library carries it.
        Assert.True(mayUseCaptureDecoder || !reached.Contains("FastTotem.Capture"), $"{assemblyName} reaches FastTotem.Capture");
    }

    [Fact]
    public void TheToolingCheckSeesAToolingReference()
    {
        // This test assembly uses the decoder fuzzer of FastTotem.Fuzz.Targets: the same walk must report it.
        (List<string> tooling, _) = References(typeof(LayeringTests).Assembly);
        Assert.Contains("FastTotem.Fuzz.Targets", tooling);
    }

    /// <summary>The tooling assemblies reached from <paramref name="root"/>, over FastTotem's own references.</summary>
    private static (List<string> Tooling, HashSet<string> Reached) References(Assembly root)
    {
        var reached = new HashSet<string>();
        var tooling = new List<string>();
        var queue = new Queue<Assembly>([root]);
        while (queue.Count > 0)
        {
            foreach (AssemblyName r in queue.Dequeue().GetReferencedAssemblies())
            {
                if (!r.Name!.StartsWith("FastTotem", StringComparison.Ordinal) || !reached.Add(r.Name))
                {
                    continue;
                }

                if (Tooling.Contains(r.Name))
                {
                    tooling.Add(r.Name);
                }
                else
                {
                    queue.Enqueue(Assembly.Load(r));
                }
            }
        }

        return (tooling, reached);
    }
}
