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

    /// <summary>The knet captures' packets (plain a, aes256/sha256 b, zlib) and b's authkey, for the fuzzer's knet level.</summary>
    public static (List<byte[]> Packets, byte[] Key) KnetPackets()
    {
        string knet = Path.Combine(Path.GetDirectoryName(Directory)!, "corosync-3.1.7-knet");
        var packets = new List<byte[]>();
        foreach (string capture in new[] { "a-knet-2node-plain.pcap", "b-knet-3node-aes256-sha256.pcap", "crypto-sweep/none-none-zlib.pcap" })
        {
            foreach (CapturedDatagram datagram in CaptureFile.ReadUdpDatagrams(Path.Combine(knet, capture)))
            {
                packets.Add(datagram.Payload);
            }
        }

        return (packets, File.ReadAllBytes(Path.Combine(knet, "b-knet-3node-aes256-sha256.authkey")));
    }

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
