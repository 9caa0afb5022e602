using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>
/// Renders a decoded totempg message the way decoded/*.decoded.txt does, using only our codecs, and checks
/// on the way that every service message re-encodes byte for byte. Also builds foreign-endian twins by
/// swapping exactly the fields of docs/wire-format.md's swap columns.
/// </summary>
internal static class ServiceMessageRenderer
{
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static string List<T>(IEnumerable<T> items) => "[" + string.Join(", ", items) + "]";

    /// <summary>Python's repr of a bytes object, as the independent decoder prints data[0:8].</summary>
    public static string PyBytes(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder("b'");
        foreach (byte b in bytes)
        {
            sb.Append(b switch
            {
                (byte)'\\' => "\\\\",
                (byte)'\'' => "\\'",
                (byte)'\t' => "\\t",
                (byte)'\n' => "\\n",
                (byte)'\r' => "\\r",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => "\\x" + b.ToString("x2", CultureInfo.InvariantCulture),
            });
        }

        return sb.Append('\'').ToString();
    }

    public static string PgLine(PgPacketView p, int payloadLength, bool shortForm)
    {
        var lens = new List<int>();
        for (int i = 0; i < p.Count; i++)
        {
            lens.Add(p.LengthAt(i));
        }

        return shortForm
            ? $"totempg: fragmented={p.Fragmented} continuation={p.Continuation} msg_count={p.Count} msg_len={List(lens)}"
            : $"totempg: version={p.Header.Version} type={p.Header.Type} fragmented={p.Fragmented} continuation={p.Continuation} msg_count={p.Count} msg_len={List(lens)} (sum {lens.Sum()}, payload {payloadLength - 8 - (2 * p.Count)})";
    }

    /// <summary>Group header line and service lines of one complete message.</summary>
    public static List<string> Render(ReadOnlySpan<byte> message, bool foreign)
    {
        var lines = new List<string>();
        Assert.Equal(WireError.None, PgGroupHeader.TryParse(message, foreign, out PgGroupHeaderView g));
        var lens = new List<int>();
        var names = new List<string>();
        for (int i = 0; i < g.Count; i++)
        {
            lens.Add(g.NameAt(i).Length);
            names.Add("'" + Encoding.ASCII.GetString(g.NameAt(i)) + "'");
        }

        ReadOnlySpan<byte> payload = g.Payload;
        lines.Add($"group header: count={g.Count} lens={List(lens)} names={List(names)} ({g.HeaderLength} bytes) -> payload {payload.Length} bytes");
        if (g.Contains("sync"u8))
        {
            RenderSync(payload, lines);
        }
        else
        {
            RenderExec(payload, foreign, lines);
        }

        return lines;
    }

    private static void RenderSync(ReadOnlySpan<byte> p, List<string> lines)
    {
        int id = BinaryPrimitives.ReadInt32LittleEndian(p);
        byte[] again = new byte[p.Length];
        if (id == SyncMessageId.ServiceBuild)
        {
            Assert.Equal(WireError.None, SyncServiceBuildMessage.TryRead(p, out SyncServiceBuildMessage m));
            lines.Add($"sync SERVICE_BUILD size={m.Header.MessageSize} len={p.Length} ring_id={m.RingId} service_list_entries={m.ServiceListEntries} service_list={List(m.Services.ToArray())}");
            Assert.Equal(WireError.None, m.TryWrite(again));
        }
        else
        {
            Assert.Equal(WireError.None, SyncBarrierMessage.TryRead(p, out SyncBarrierMessage m));
            lines.Add($"sync BARRIER size={m.Header.MessageSize} len={p.Length} ring_id={m.RingId}");
            Assert.Equal(WireError.None, m.TryWrite(again));
        }

        Assert.Equal(p.ToArray(), again);
    }

    private static string CpgName(in MarCpgName name) => "'" + Encoding.ASCII.GetString(name.Name) + "'";

    private static string Reason(uint reason) => reason switch
    {
        1 => "1(JOIN)",
        2 => "2(LEAVE)",
        3 => "3(NODEDOWN)",
        4 => "4(NODEUP)",
        5 => "5(PROCDOWN)",
        _ => reason.ToString(CultureInfo.InvariantCulture),
    };

    private static void RenderExec(ReadOnlySpan<byte> p, bool foreign, List<string> lines)
    {
        Assert.Equal(WireError.None, QbIpcRequestHeader.TryReadId(p, foreign, out int id));
        byte[] again = new byte[p.Length];
        int size;
        string name;
        var detail = new List<string>();
        switch (id)
        {
            case 0x00050000:
            {
                Assert.Equal(WireError.None, VotequorumNodeInfoMessage.TryRead(p, foreign, out VotequorumNodeInfoMessage m));
                name = "votequorum.nodeinfo";
                size = m.Header.MessageSize;
                detail.Add($"nodeid={m.NodeId} votes={m.Votes} expected_votes={m.ExpectedVotes} flags=0x{m.Flags:x}");
                if (!foreign)
                {
                    m.TryWrite(again);
                }

                break;
            }

            case 0x00000000:
            {
                Assert.Equal(WireError.None, CmapMcastHeader.TryRead(p, foreign, out CmapMcastHeader m));
                name = "cmap.mcast";
                size = m.Header.MessageSize;
                detail.Add($"reason={m.Reason} no_items={m.NoItems}");
                m.TryWrite(again);
                int offset = CmapMcastHeader.Size;
                byte[] scratch = new byte[8];
                for (int i = 0; i < m.NoItems; i++)
                {
                    int start = offset;
                    Assert.Equal(WireError.None, CmapMcastHeader.TryReadItem(p, ref offset, foreign, scratch, out CmapMcastItemHeader item, out ReadOnlySpan<byte> value));
                    detail.Add($"key='{Encoding.ASCII.GetString(item.Key)}' value_type={item.ValueType} value_len={item.ValueLength} value={Hex(value)}");
                    MemoryMarshal.Write(again.AsSpan(start), in item);
                    value.CopyTo(again.AsSpan(start + CmapMcastItemHeader.Size));
                }

                break;
            }

            case 0x00020000:
            case 0x00020001:
            {
                Assert.Equal(WireError.None, CpgProcJoinMessage.TryRead(p, foreign, out CpgProcJoinMessage m));
                name = id == 0x00020000 ? "cpg.procjoin" : "cpg.procleave";
                size = m.Header.MessageSize;
                detail.Add($"group={CpgName(m.GroupName)} pid={m.Pid} reason={Reason(m.Reason)}");
                m.TryWrite(again);
                break;
            }

            case 0x00020002:
            {
                Assert.Equal(WireError.None, CpgJoinList.TryParse(p, foreign, out QbIpcResponseHeader h, out int count));
                name = "cpg.joinlist";
                size = h.MessageSize;
                detail.Add($"(response header) error={h.Error} entries:");
                CpgJoinList.TryWriteHeader(again, in h);
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal(WireError.None, CpgJoinList.TryReadEntry(p, i, foreign, out CpgJoinListEntry e));
                    detail.Add($"pid={e.Pid} group={CpgName(e.GroupName)}");
                    CpgJoinList.TryWriteEntry(again, i, in e);
                }

                break;
            }

            case 0x00020003:
            {
                Assert.Equal(WireError.None, CpgMcastMessage.TryRead(p, foreign, out CpgMcastMessage m, out ReadOnlySpan<byte> data));
                name = "cpg.mcast";
                size = m.Header.MessageSize;
                detail.Add($"group={CpgName(m.GroupName)} msglen={m.MsgLen} pid={m.Pid} source.nodeid={m.Source.NodeId} source.conn=0x{m.Source.Conn:x16} data[0:8]={PyBytes(data.Slice(0, Math.Min(8, data.Length)))}");
                Assert.Equal(WireError.None, m.TryWrite(again, data, out _));
                break;
            }

            case 0x00020005:
            {
                Assert.Equal(WireError.None, CpgDownlistMessage.TryRead(p, foreign, out CpgDownlistMessage m));
                name = "cpg.downlist";
                size = m.Header.MessageSize;
                detail.Add($"old_members={m.OldMembers} left_nodes={m.LeftNodes} nodeids={List(m.Left.ToArray())}");
                m.TryWrite(again);
                break;
            }

            case 0x00020006:
            {
                Assert.Equal(WireError.None, CpgPartialMcastMessage.TryRead(p, foreign, out CpgPartialMcastMessage m, out ReadOnlySpan<byte> piece));
                name = "cpg.partial_mcast";
                size = m.Header.MessageSize;
                string type = m.Type switch { 1 => "1(FIRST)", 2 => "2(CONTINUED)", 3 => "3(LAST)", _ => m.Type.ToString(CultureInfo.InvariantCulture) };
                detail.Add($"group={CpgName(m.GroupName)} msglen={m.MsgLen} fraglen={m.FragLen} pid={m.Pid} type={type} source.nodeid={m.Source.NodeId} source.conn=0x{m.Source.Conn:x16}");
                Assert.Equal(WireError.None, m.TryWrite(again, piece, out _));
                break;
            }

            default:
                throw new Xunit.Sdk.XunitException($"unexpected exec id 0x{id:x8}");
        }

        lines.Add($"exec msg id=0x{id:x8} ({name}) size={size} len={p.Length} pad[4:8]={Hex(p.Slice(4, 4))} pad[12:16]={Hex(p.Slice(12, 4))}");
        lines.AddRange(detail);

        // Byte-identical re-encoding. A foreign-endian decode swapped fields into our order, so only the native one compares.
        if (!foreign)
        {
            Assert.Equal(p.ToArray(), again);
        }
    }

    private static void Swap(byte[] b, int offset, int width) => b.AsSpan(offset, width).Reverse();

    /// <summary>The same totempg payload as a byte-swapped sender would have written it.</summary>
    public static byte[] ForeignTwinPacket(ReadOnlySpan<byte> payload)
    {
        Assert.Equal(WireError.None, PgPacket.TryParse(payload, false, out PgPacketView p));
        byte[] twin = payload.ToArray();
        Swap(twin, 6, 2);
        for (int i = 0; i < p.Count; i++)
        {
            Swap(twin, 8 + (2 * i), 2);
        }

        return twin;
    }

    /// <summary>A complete message (group header + service message) as a byte-swapped sender writes it.</summary>
    public static byte[] ForeignTwinMessage(ReadOnlySpan<byte> message)
    {
        byte[] t = message.ToArray();
        Assert.Equal(WireError.None, PgGroupHeader.TryParse(message, false, out PgGroupHeaderView g));
        Swap(t, 0, 2);
        for (int i = 0; i < g.Count; i++)
        {
            Swap(t, 2 + (2 * i), 2);
        }

        int o = g.HeaderLength;
        if (g.Contains("sync"u8))
        {
            return t; // sync swaps nothing
        }

        int id = BinaryPrimitives.ReadInt32LittleEndian(message.Slice(o));
        switch (id)
        {
            case 0x00050000:
                Swap(t, o, 4);
                for (int k = 16; k < 32; k += 4)
                {
                    Swap(t, o + k, 4);
                }

                break;
            case 0x00000000:
            {
                Swap(t, o, 4);
                Swap(t, o + 8, 4);
                int items = message[o + 24];
                int offset = o + CmapMcastHeader.Size;
                for (int i = 0; i < items; i++)
                {
                    int valueLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(message.Slice(offset + 272));
                    int width = CmapMcastItemHeader.SwapWidth(message[offset + 264]);
                    Swap(t, offset, 2);
                    Swap(t, offset + 272, 8);
                    if (width > 0)
                    {
                        Swap(t, offset + 280, width);
                    }

                    offset += CmapMcastItemHeader.AlignedLength(valueLength);
                }

                break;
            }

            case 0x00020000:
            case 0x00020001:
                Swap(t, o, 4);
                Swap(t, o + 16, 4);
                Swap(t, o + 152, 4);
                Swap(t, o + 160, 4);
                break;
            case 0x00020002:
            {
                int size = BinaryPrimitives.ReadInt32LittleEndian(message.Slice(o + 8));
                Swap(t, o, 4);
                Swap(t, o + 8, 4);
                for (int e = o + 24; e < o + size; e += CpgJoinListEntry.Size)
                {
                    Swap(t, e, 4);
                    Swap(t, e + 8, 4);
                }

                break;
            }

            case 0x00020003:
                foreach (int k in new[] { 0, 8, 16, 152, 160 })
                {
                    Swap(t, o + k, 4);
                }

                break;
            case 0x00020005:
            {
                int left = (int)BinaryPrimitives.ReadUInt32LittleEndian(message.Slice(o + 24));
                Swap(t, o, 4);
                Swap(t, o + 16, 4);
                Swap(t, o + 24, 4);
                for (int k = 0; k < left; k++)
                {
                    Swap(t, o + 32 + (4 * k), 4);
                }

                break;
            }

            case 0x00020006:
                foreach (int k in new[] { 0, 8, 16, 152, 160, 168, 176 })
                {
                    Swap(t, o + k, 4);
                }

                break;
        }

        return t;
    }
}
