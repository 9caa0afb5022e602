using System.Runtime.CompilerServices;

namespace FastTotem.Tests.Architecture;

/// <summary>
/// The repository stands on its own: no file under src/, tests/, docs/, native/, bench/ or fuzz/ (nor README.md)
/// cites the team's shared folder or its spec files, which a clone does not have. Code and documents point at
/// docs/wire-format.md and docs/knet.md instead.
/// </summary>
public class DocumentReferenceTests
{
    // Spelled in pieces so this file does not cite them itself.
    private static readonly string[] Forbidden = ["../" + "shared", "WIRE" + ".md", "KNET" + ".md", "reliability" + ".md", "design" + ".md", "reliability" + " review"];

    private static readonly string[] Trees = ["src", "tests", "docs", "native", "bench", "fuzz", "samples"];

    private static readonly HashSet<string> BinaryExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".pcap", ".pcapng", ".bin", ".dll", ".so", ".o", ".png", ".svg", ".gz", ".key", ".exe", ".pdb",
    };

    [Fact]
    public void NoFileCitesTheSharedFolderOrItsSpecs()
    {
        string root = RepositoryRoot();
        var hits = new List<string>();
        foreach (string file in Files(root))
        {
            hits.AddRange(Citations(root, file, File.ReadAllText(file)));
        }

        Assert.True(hits.Count == 0, "cite docs/wire-format.md or docs/knet.md instead:\n" + string.Join('\n', hits.Take(50)));
    }

    [Fact]
    public void TheScanFindsAPlantedCitation()
    {
        string root = RepositoryRoot();
        string planted = "see " + "WIRE" + ".md §5.1\nfine line\nor ../" + "shared/spec";
        List<string> found = Citations(root, Path.Combine(root, "src", "Planted.cs"), planted);
        Assert.Equal(["src/Planted.cs:1", "src/Planted.cs:3"], found.Select(h => h[..h.IndexOf(' ')]).ToArray());
        Assert.Contains(Files(root), f => f.EndsWith("README.md", StringComparison.Ordinal));
        Assert.Contains(Files(root), f => f.EndsWith("TotemNode.cs", StringComparison.Ordinal));
    }

    private static List<string> Citations(string root, string file, string text)
    {
        var hits = new List<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            foreach (string f in Forbidden)
            {
                if (lines[i].Contains(f, StringComparison.Ordinal))
                {
                    hits.Add($"{Path.GetRelativePath(root, file)}:{i + 1} cites {f}");
                }
            }
        }

        return hits;
    }

    private static IEnumerable<string> Files(string root)
    {
        yield return Path.Combine(root, "README.md");
        foreach (string tree in Trees)
        {
            string dir = Path.Combine(root, tree);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (string file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (rel.Contains("/bin/", StringComparison.Ordinal) || rel.Contains("/obj/", StringComparison.Ordinal)
                    || rel.Contains("/corpus/", StringComparison.Ordinal) || rel.Contains("/findings/", StringComparison.Ordinal)
                    || BinaryExtensions.Contains(Path.GetExtension(file)) || new FileInfo(file).Length > 8 * 1024 * 1024)
                {
                    continue;
                }

                yield return file;
            }
        }
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
