using FastTotem.Capture;

namespace FastTotem.Benchmarks;

/// <summary>The corosync 3.1.7 golden captures, found by walking up to the directory holding FastTotem.sln.</summary>
internal static class Fixtures
{
    public static readonly string[] Names =
    [
        "a-2node-formation", "b-third-node-joins", "c-node1-sigkill", "d-cpg-traffic",
        "e-cpg-partial-mcast", "f-retransmit-recovery", "g-node3-graceful-leave",
    ];

    public static string Directory { get; } = Locate();

    public static IReadOnlyList<CapturedDatagram> Datagrams(string name) =>
        CaptureFile.ReadUdpDatagrams(Path.Combine(Directory, name + ".pcap"));

    public static byte[] Datagram(string name, int frame)
    {
        foreach (CapturedDatagram datagram in Datagrams(name))
        {
            if (datagram.Frame == frame)
            {
                return datagram.Payload;
            }
        }

        throw new InvalidOperationException($"{name}#{frame} is not a UDP datagram");
    }

    private static string Locate()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FastTotem.sln")))
                {
                    return Path.Combine(dir.FullName, "tests", "fixtures", "corosync-3.1.7");
                }
            }
        }

        throw new InvalidOperationException("FastTotem.sln not found above " + AppContext.BaseDirectory);
    }
}
