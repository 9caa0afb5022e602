using System.Text;
using FastTotem.Capture;
using FastTotem.Tests.Capture;
using FastTotem.Wire;

namespace FastTotem.Tests.Services;

/// <summary>
/// Test-side extraction of the complete totempg messages in a golden capture: first copies only (the "dup" copies
/// to other nodes and recovery re-sends are skipped by (sender, ring, seq)), fragments put back together per sender.
/// </summary>
internal static class CaptureExecMessages
{
    /// <summary>A complete message: the frame that completed it, its sender, its group and the service message.</summary>
    public sealed record Message(int Frame, uint Sender, string Group, byte[] Payload);

    private static readonly Dictionary<string, List<Message>> Cache = new();

    public static List<Message> Read(string fixture)
    {
        string name = CaptureFixtures.Resolve(fixture);
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out List<Message>? cached))
            {
                return cached;
            }

            List<Message> messages = ReadUncached(name);
            Cache[name] = messages;
            return messages;
        }
    }

    /// <summary>The messages completed by <paramref name="frame"/> (several when packed).</summary>
    public static List<Message> AtFrame(string fixture, int frame) => Read(fixture).FindAll(m => m.Frame == frame);

    private static List<Message> ReadUncached(string name)
    {
        var result = new List<Message>();
        var seen = new HashSet<(uint, uint, ulong, uint)>();
        var partial = new Dictionary<uint, List<byte>>();
        foreach (CapturedDatagram datagram in CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(name)))
        {
            if (TotemDatagram.TryParse(datagram.Payload, out TotemHeader header, out _) != WireError.None
                || header.Type != MessageType.Mcast
                || McastCodec.TryDecode(datagram.Payload, out McastHeader mcast, out ReadOnlySpan<byte> payload, out bool foreign) != WireError.None
                || mcast.IsEncapsulated)
            {
                continue;
            }

            if (!seen.Add((mcast.Header.NodeId, mcast.RingId.Rep, mcast.RingId.Seq, mcast.Seq)))
            {
                continue;
            }

            if (PgPacket.TryParse(payload, foreign, out PgPacketView packet) != WireError.None)
            {
                throw new InvalidDataException($"frame {datagram.Frame}: bad totempg packet");
            }

            uint sender = mcast.Header.NodeId;
            int offset = 0;
            for (int i = 0; i < packet.Count; i++)
            {
                byte[] piece = packet.Data.Slice(offset, packet.LengthAt(i)).ToArray();
                offset += piece.Length;
                bool continues = i == 0 && packet.Continuation != 0;
                bool incomplete = i == packet.Count - 1 && packet.Fragmented != 0;
                List<byte> buffer;
                if (continues)
                {
                    if (!partial.TryGetValue(sender, out buffer!))
                    {
                        continue;
                    }
                }
                else
                {
                    buffer = new List<byte>();
                    partial[sender] = buffer;
                }

                buffer.AddRange(piece);
                if (incomplete)
                {
                    continue;
                }

                partial.Remove(sender);
                byte[] whole = buffer.ToArray();
                if (PgGroupHeader.TryParse(whole, foreign, out PgGroupHeaderView group) != WireError.None)
                {
                    throw new InvalidDataException($"frame {datagram.Frame}: bad group header");
                }

                result.Add(new Message(datagram.Frame, sender, Encoding.ASCII.GetString(group.NameAt(0)), group.Payload.ToArray()));
            }
        }

        return result;
    }
}
