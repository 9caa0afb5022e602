using System.Globalization;
using System.Text.RegularExpressions;

namespace FastTotem.Tests.Capture;

/// <summary>Locates the corosync 3.1.7 golden captures and parses their independent decodes.</summary>
internal static partial class CaptureFixtures
{
    public static readonly string[] Names =
    [
        "a-2node-formation",
        "b-third-node-joins",
        "c-node1-sigkill",
        "d-cpg-traffic",
        "e-cpg-partial-mcast",
        "f-retransmit-recovery",
        "g-node3-graceful-leave",
    ];

    private static string? _directory;

    /// <summary>tests/fixtures/corosync-3.1.7, found by walking up to the directory holding FastTotem.sln.</summary>
    public static string Directory => _directory ??= Locate();

    public static string PcapPath(string name) => Path.Combine(Directory, name + ".pcap");

    public static string DecodedPath(string name) => Path.Combine(Directory, "decoded", name + ".decoded.txt");

    /// <summary>Accepts a full fixture name or its one-letter prefix ("d").</summary>
    public static string Resolve(string nameOrLetter)
    {
        foreach (string name in Names)
        {
            if (name == nameOrLetter || name.StartsWith(nameOrLetter + "-", StringComparison.Ordinal))
            {
                return name;
            }
        }

        throw new ArgumentException($"no fixture '{nameOrLetter}'", nameof(nameOrLetter));
    }

    /// <summary>A "#N time src:port -> dst:port len L" line of a decoded file.</summary>
    public sealed record DecodedUdpLine(int Frame, double Time, string Source, int SourcePort, string Destination, int DestinationPort, int Length);

    public static List<DecodedUdpLine> ReadDecodedUdpLines(string name)
    {
        var lines = new List<DecodedUdpLine>();
        foreach (string line in File.ReadLines(DecodedPath(name)))
        {
            Match m = UdpLine().Match(line);
            if (!m.Success)
            {
                continue;
            }

            lines.Add(new DecodedUdpLine(
                int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                m.Groups[3].Value,
                int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
                m.Groups[5].Value,
                int.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[7].Value, CultureInfo.InvariantCulture)));
        }

        return lines;
    }

    /// <summary>The indented block of a decoded file that follows "#frame ".</summary>
    public static string ReadDecodedBlock(string name, int frame)
    {
        string prefix = "#" + frame.ToString(CultureInfo.InvariantCulture) + " ";
        var block = new System.Text.StringBuilder();
        bool inside = false;
        foreach (string line in File.ReadLines(DecodedPath(name)))
        {
            if (line.StartsWith('#'))
            {
                if (inside)
                {
                    break;
                }

                inside = line.StartsWith(prefix, StringComparison.Ordinal);
            }

            if (inside)
            {
                block.AppendLine(line);
            }
        }

        return block.ToString();
    }

    [GeneratedRegex(@"^#(\d+) (\d+\.\d+) ([0-9a-fA-F.:]+):(\d+) -> ([0-9a-fA-F.:]+):(\d+) len (\d+)$")]
    private static partial Regex UdpLine();

    private static string Locate()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastTotem.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "fixtures", "corosync-3.1.7");
            }
        }

        throw new InvalidOperationException("FastTotem.sln not found above " + AppContext.BaseDirectory);
    }
}
