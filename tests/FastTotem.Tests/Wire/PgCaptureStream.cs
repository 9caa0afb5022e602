using FastTotem.Capture;
using FastTotem.Tests.Capture;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>
/// The distinct mcasts of a capture, as INDEX.md says to feed them to totempg: copies removed on
/// (ring, seq, encapsulated), in capture order (each sender's first copies leave in seq order).
/// </summary>
internal static class PgCaptureStream
{
    /// <param name="Frame">1-based frame number.</param>
    /// <param name="Header">The outer mcast header.</param>
    /// <param name="Inner">The inner header for an encapsulated mcast.</param>
    /// <param name="Payload">The totempg payload (after both headers for an encapsulated mcast).</param>
    /// <param name="Datagram">The whole UDP payload.</param>
    public sealed record McastFrame(int Frame, McastHeader Header, McastHeader? Inner, byte[] Payload, byte[] Datagram)
    {
        public bool Encapsulated => Inner is not null;

        /// <summary>The header that owns the totempg payload.</summary>
        public McastHeader Owner => Inner ?? Header;
    }

    private static readonly Dictionary<string, List<McastFrame>> Cache = new();

    public static List<McastFrame> Load(string name)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out List<McastFrame>? cached))
            {
                return cached;
            }

            var frames = new List<McastFrame>();
            var seen = new HashSet<(uint, ulong, uint, byte)>();
            foreach (CapturedDatagram d in CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(name)))
            {
                byte[] p = d.Payload;
                if (p.Length < McastHeader.Size || p[3] != (byte)MessageType.Mcast)
                {
                    continue;
                }

                if (McastCodec.TryDecode(p, out McastHeader header, out ReadOnlySpan<byte> payload, out _) != WireError.None)
                {
                    continue;
                }

                if (!seen.Add((header.RingId.Rep, header.RingId.Seq, header.Seq, header.Header.EncapsulatedFlag)))
                {
                    continue;
                }

                McastHeader? inner = null;
                if (header.IsEncapsulated)
                {
                    Assert.Equal(WireError.None, McastCodec.TryDecode(payload, out McastHeader innerHeader, out ReadOnlySpan<byte> innerPayload, out _));
                    inner = innerHeader;
                    payload = innerPayload;
                }

                frames.Add(new McastFrame(d.Frame, header, inner, payload.ToArray(), p));
            }

            Cache[name] = frames;
            return frames;
        }
    }

    /// <summary>The decoded/*.decoded.txt block of every frame, keyed by frame number, lines trimmed.</summary>
    public static Dictionary<int, List<string>> DecodedBlocks(string name)
    {
        var blocks = new Dictionary<int, List<string>>();
        List<string>? current = null;
        foreach (string line in File.ReadLines(CaptureFixtures.DecodedPath(name)))
        {
            if (line.StartsWith('#'))
            {
                int space = line.IndexOf(' ');
                if (space > 1 && int.TryParse(line.AsSpan(1, space - 1), out int frame))
                {
                    current = new List<string>();
                    blocks[frame] = current;
                }

                continue;
            }

            current?.Add(line.Trim());
        }

        return blocks;
    }
}
