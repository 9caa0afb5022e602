using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FastTotem.Capture;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Protocol.Srp;

namespace FastTotem.Fuzz;

/// <summary>
/// Starting inputs for each target, made from the same deterministic ring the targets use (every datagram type
/// in every state), the capture fixtures and small hand-written scripts. AFL++ grows the corpus from these;
/// <c>./build.sh fuzz</c> writes them only when a target's corpus folder is empty.
/// </summary>
public static class FuzzSeeds
{
    /// <summary>Writes the seeds of <paramref name="target"/> into <paramref name="directory"/>; returns how many.</summary>
    /// <param name="target">A name from <see cref="FuzzTargets.Names"/>.</param>
    /// <param name="directory">The corpus folder.</param>
    /// <param name="captureFixtures">Folder of pcap files for the capture target (may be null).</param>
    public static int Write(string target, string directory, string? captureFixtures)
    {
        Directory.CreateDirectory(directory);
        List<byte[]> seeds = target switch
        {
            "datagram" => DatagramSeeds(),
            "engine" => EngineSeeds(),
            "capture" => CaptureSeeds(captureFixtures),
            "capi" => CapiSeeds(),
            "knet" => KnetSeeds(captureFixtures is null ? null : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(captureFixtures))!, "corosync-3.1.7-knet")),
            _ => throw new ArgumentException($"unknown target '{target}'", nameof(target)),
        };
        foreach (byte[] seed in seeds)
        {
            string name = "seed-" + Convert.ToHexString(SHA256.HashData(seed))[..16].ToLowerInvariant();
            File.WriteAllBytes(Path.Combine(directory, name), seed);
        }

        return seeds.Count;
    }

    /// <summary>Up to four datagrams of each SRP message type seen on the wire, for each prepared state.</summary>
    private static List<byte[]> DatagramSeeds()
    {
        var recorded = new List<byte[]>();
        var ring = new FuzzRing { Recorded = recorded };
        ring.StartAll();
        ring.RunFor(3_000_000_000);
        ring.Send(0, "seed"u8);
        ring.Send(1, new byte[3000]);
        ring.RunFor(200_000_000);
        ring.Isolate(2, true);
        ring.RunUntilState(0, SrpState.Recovery, 10_000_000_000);
        ring.RunFor(5_000_000_000);

        var perType = new Dictionary<int, int>();
        var seeds = new List<byte[]>();
        foreach (byte[] datagram in recorded)
        {
            int type = datagram.Length > 3 ? datagram[3] : -1;
            perType.TryGetValue(type, out int count);
            if (count >= 4)
            {
                continue;
            }

            perType[type] = count + 1;
            for (int state = 0; state < DatagramTarget.StateCount; state++)
            {
                seeds.Add([(byte)state, .. datagram]);
            }
        }

        return seeds;
    }

    private static List<byte[]> EngineSeeds() =>
    [
        [0, 5, 255, 5, 255, 5, 255],
        [1, 8, 0, 16, 0, 0, 0, 0, 5, 10],
        [1, 8, 1, 0, 12, 1, 1, 2, 3, 0, 0, 5, 50],
        [1, 7, 2, 6, 200, 7, 5, 6, 100],
        [1, 4, 10, 3, 0, 0, 5, 20],
        [0, 9, 0, 4, 0, 0x70, 0xc0, 3, 0, 5, 100],
        [1, 8, 2, 0, 8, 6, 255, 6, 255],
    ];

    private static List<byte[]> CaptureSeeds(string? fixtures)
    {
        var seeds = new List<byte[]>();
        if (fixtures is not null && Directory.Exists(fixtures))
        {
            foreach (string file in Directory.GetFiles(fixtures, "*.pcap").Order())
            {
                seeds.Add([0, .. FirstPcapRecords(File.ReadAllBytes(file), 24)]);
            }
        }

        // Frames mode: a Totem join in Ethernet/IPv4/UDP, the same datagram split into two IPv4 fragments, and an
        // IPv6 one behind Linux SLL.
        byte[] join = DatagramSeeds().First(d => d.Length > 4 && d[4] == 3)[1..];
        byte[] ether = EthernetIpv4Udp(join, fragmentOffset: -1);
        seeds.Add(Frames((0, ether)));
        seeds.Add(Frames((0, EthernetIpv4Udp(join, 0)), (0, EthernetIpv4Udp(join, 16))));
        seeds.Add(Frames((2, SllIpv6Udp(join))));
        return seeds;
    }

    /// <summary>
    /// knet packets of the knet fixtures: up to four of each packet type in the clear (mode 0), and sealed ones opened
    /// with the fixture's authkey and sealed again with <see cref="KnetTarget.Key"/> (mode 1, and a list of them, mode 2).
    /// </summary>
    private static List<byte[]> KnetSeeds(string? fixtures)
    {
        var seeds = new List<byte[]>();
        if (fixtures is null || !Directory.Exists(fixtures))
        {
            return [[0, 1, 0, 0, 1, 0, 0, 0, 0]];
        }

        var perType = new Dictionary<int, int>();
        foreach (CapturedDatagram d in CaptureFile.Read(Path.Combine(fixtures, "a-knet-2node-plain.pcap")).Datagrams)
        {
            int type = d.Payload.Length > 1 ? d.Payload[1] : -1;
            perType.TryGetValue(type, out int count);
            if (count < 4)
            {
                perType[type] = count + 1;
                seeds.Add([0, .. d.Payload]);
            }
        }

        byte[] fileKey = File.ReadAllBytes(Path.Combine(fixtures, "b-knet-3node-aes256-sha256.authkey"));
        using var theirs = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, fileKey);
        using var ours = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, KnetTarget.Key);
        byte[] clear = new byte[70000];
        byte[] sealedBytes = new byte[70000];
        var list = new List<byte> { 2 };
        int taken = 0;
        foreach (CapturedDatagram d in CaptureFile.Read(Path.Combine(fixtures, "b-knet-3node-aes256-sha256.pcap")).Datagrams)
        {
            if (taken >= 24 || theirs.Open(d.Payload, clear, out int n) != KnetCryptoStatus.Ok
                || ours.Seal(clear.AsSpan(0, n), new byte[16], sealedBytes, out int m) != KnetCryptoStatus.Ok)
            {
                continue;
            }

            taken++;
            byte[] packet = sealedBytes[..m];
            seeds.Add([1, .. packet]);
            list.Add((byte)packet.Length);
            list.Add((byte)(packet.Length >> 8));
            list.AddRange(packet);
        }

        seeds.Add(list.ToArray());
        return seeds;
    }

    private static List<byte[]> CapiSeeds()
    {
        const string conf = """
            totem {
                version: 2
                cluster_name: fuzz
                transport: udpu
                crypto_cipher: none
                crypto_hash: none
                token: 1000
            }
            quorum {
                provider: corosync_votequorum
            }
            nodelist {
                node {
                    nodeid: 1
                    ring0_addr: 127.0.0.1
                }
                node {
                    nodeid: 2
                    ring0_addr: 127.0.0.2
                }
            }
            """;
        byte[] text = Encoding.UTF8.GetBytes(conf);
        byte[] configOp = [2, (byte)text.Length, (byte)(text.Length >> 8), .. text];
        byte[] createEx = [0, 4, 24, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, (byte)'a', (byte)'.', (byte)'c'];
        byte[] create = [1, 0, 1, 0, 0, 0, 4, (byte)'x', 0xc3, 0xa9, (byte)'z', 4, 8, 0];
        byte[] handles = [3, 0x80, 1, 0, 3, 0x82, 1, 0, 3, 0x06, 3, 0, 0, 0, 5, 3, 0x89, 1, 0, 3, (byte)'a', (byte)'b', (byte)'c', 3, 0x4a, 0, 0, 0, 0, 4, 16, 0];
        return [configOp, createEx, create, handles, [.. createEx, .. create, .. handles, .. configOp], [5, 0xf5, 0xff, 0xff, 0xff, 4, 0, 0]];
    }

    /// <summary>The pcap global header and the first <paramref name="records"/> packet records.</summary>
    private static byte[] FirstPcapRecords(byte[] file, int records)
    {
        int offset = 24;
        bool swapped = file.Length >= 4 && file[0] == 0xa1;
        for (int r = 0; r < records && offset + 16 <= file.Length; r++)
        {
            uint included = swapped
                ? BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(offset + 8))
                : BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            offset = (int)Math.Min(file.Length, offset + 16 + included);
        }

        return file[..offset];
    }

    private static byte[] Frames(params (byte LinkIndex, byte[] Data)[] frames)
    {
        var bytes = new List<byte> { 1 };
        foreach ((byte linkIndex, byte[] data) in frames)
        {
            bytes.Add(linkIndex);
            bytes.Add((byte)data.Length);
            bytes.Add((byte)(data.Length >> 8));
            bytes.AddRange(data);
        }

        return bytes.ToArray();
    }

    /// <summary>An Ethernet frame with an IPv4/UDP datagram to port 5405; a fragment when fragmentOffset ≥ 0
    /// (0: the first 16 bytes of the UDP datagram, more fragments; 16: the rest).</summary>
    private static byte[] EthernetIpv4Udp(byte[] payload, int fragmentOffset)
    {
        byte[] udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5405);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 5405);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        byte[] piece = fragmentOffset switch
        {
            < 0 => udp,
            0 => udp[..16],
            _ => udp[fragmentOffset..],
        };
        byte[] frame = new byte[14 + 20 + piece.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + piece.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
        if (fragmentOffset >= 0)
        {
            ushort flags = (ushort)((fragmentOffset / 8) | (fragmentOffset == 0 ? 0x2000 : 0));
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], flags);
        }

        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 10;
        ip[15] = 1;
        ip[16] = 10;
        ip[19] = 2;
        piece.CopyTo(ip[20..]);
        return frame;
    }

    /// <summary>A Linux cooked (SLL) frame with an IPv6/UDP datagram to port 5405.</summary>
    private static byte[] SllIpv6Udp(byte[] payload)
    {
        byte[] frame = new byte[16 + 40 + 8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 0x86dd);
        Span<byte> ip = frame.AsSpan(16);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(8 + payload.Length));
        ip[6] = 17;
        ip[7] = 64;
        ip[23] = 1;
        ip[39] = 2;
        Span<byte> udp = ip[40..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5405);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 5405);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        payload.CopyTo(udp[8..]);
        return frame;
    }
}
