using FastTotem.Capture;
using FastTotem.Protocol.Knet.Crypto;

namespace FastTotem.Tests.Knet;

/// <summary>Locates the corosync 3.1.7 knet captures copied into tests/fixtures/corosync-3.1.7-knet and their keys.</summary>
internal static class KnetFixtures
{
    public const string Plain = "a-knet-2node-plain.pcap";
    public const string Aes256Sha256 = "b-knet-3node-aes256-sha256.pcap";
    public const string Aes256Sha256Key = "b-knet-3node-aes256-sha256.authkey";
    public const string SweepKey = "crypto-sweep/authkey";
    public const string PeerCheckKey = "peer-check/p1-aes256-sha256-peer-answers.authkey";

    /// <summary>Every crypto-sweep capture with its cipher and hash (from the file name).</summary>
    public static readonly (string File, KnetCipher Cipher, KnetHash Hash)[] Sweep = BuildSweep();

    private static string? _directory;

    public static string Directory => _directory ??= Locate();

    public static string PathOf(string relative) => System.IO.Path.Combine(Directory, relative);

    public static byte[] Key(string relative)
    {
        byte[] file = File.ReadAllBytes(PathOf(relative));
        Assert.Equal(KnetAuthKeyStatus.Ok, KnetAuthKey.Select(file, out ReadOnlySpan<byte> key));
        return key.ToArray();
    }

    /// <summary>The knet UDP datagrams of a capture (port 5405; ICMP-quoted packets are not datagrams).</summary>
    public static List<CapturedDatagram> Datagrams(string relative)
    {
        CaptureContents contents = CaptureFile.Read(PathOf(relative));
        var list = new List<CapturedDatagram>();
        foreach (CapturedDatagram d in contents.Datagrams)
        {
            if (d.DestinationPort == 5405)
            {
                list.Add(d);
            }
        }

        return list;
    }

    /// <summary>
    /// The counts of one file's block in crypto-sweep/summary.txt (the independent decoder's summary): "UDP packets",
    /// "knet DATA", "PING", "PONG", "PMTUD", "PMTUD_REPLY", "crypto verified", "fragment packets", "complete payloads",
    /// "compressed", "ICMP", and the Totem types ("orf_token", "mcast", "memb_join", …).
    /// </summary>
    public static Dictionary<string, int> SweepSummary(string pcapName)
    {
        string marker = "---- summary: " + pcapName;
        string[] lines = File.ReadAllLines(PathOf("crypto-sweep/summary.txt"));
        int at = Array.IndexOf(lines, marker);
        Assert.True(at >= 0, pcapName);
        var counts = new Dictionary<string, int>();
        for (int i = at + 1; i < lines.Length && !lines[i].StartsWith("----", StringComparison.Ordinal); i++)
        {
            string line = lines[i];
            string pattern = line.StartsWith("Totem types:", StringComparison.Ordinal)
                ? @"(\w+) (\d+)"
                : @"(UDP packets|knet DATA|PING|PONG|PMTUD_REPLY|PMTUD|crypto verified|crypto failed|clear|fragment packets|complete payloads|compressed|ICMP):? \(?(\d+)";
            if (!line.StartsWith("UDP packets", StringComparison.Ordinal) && !line.StartsWith("DATA:", StringComparison.Ordinal)
                && !line.StartsWith("Totem types:", StringComparison.Ordinal) && !line.StartsWith("ICMP:", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("DATA:", StringComparison.Ordinal))
            {
                // "DATA: 7 fragment packets; 340 complete payloads (0 compressed); …": the number comes first.
                foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(line, @"(\d+) (fragment packets|complete payloads|compressed)"))
                {
                    counts.TryAdd(m.Groups[2].Value, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                }

                continue;
            }

            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(line, pattern))
            {
                counts.TryAdd(m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return counts;
    }

    private static (string, KnetCipher, KnetHash)[] BuildSweep()
    {
        var list = new List<(string, KnetCipher, KnetHash)>();
        foreach ((string name, KnetCipher cipher) in new[] { ("aes128", KnetCipher.Aes128), ("aes192", KnetCipher.Aes192), ("aes256", KnetCipher.Aes256) })
        {
            foreach ((string hashName, KnetHash hash) in new[] { ("md5", KnetHash.Md5), ("sha1", KnetHash.Sha1), ("sha256", KnetHash.Sha256), ("sha384", KnetHash.Sha384), ("sha512", KnetHash.Sha512) })
            {
                list.Add(($"crypto-sweep/{name}-{hashName}.pcap", cipher, hash));
            }
        }

        list.Add(("crypto-sweep/none-sha256.pcap", KnetCipher.None, KnetHash.Sha256));
        return list.ToArray();
    }

    private static string Locate()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "FastTotem.sln")))
            {
                return System.IO.Path.Combine(dir.FullName, "tests", "fixtures", "corosync-3.1.7-knet");
            }
        }

        throw new InvalidOperationException("FastTotem.sln not found above " + AppContext.BaseDirectory);
    }
}
