using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FastTotem.Hosting.Status;

/// <summary>
/// Writes a <see cref="NodeStatus"/> for <c>fasttotem status</c>: as text shaped like corosync's own tools
/// (<c>corosync-cfgtool -s</c>, <c>corosync-quorumtool -s</c>, <c>corosync-cpgtool</c>; ring ids in hex as they print
/// them), or as JSON for scripts (docs/operations.md lists the keys). Runs on the status server's thread.
/// </summary>
internal static class StatusFormat
{
    /// <summary>The JSON document's version; grows when keys are added (keys are never renamed or removed).</summary>
    public const int JsonVersion = 1;

    public static byte[] ToJson(NodeStatus s)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", JsonVersion);
            w.WriteString("time", s.TakenAt.ToString("O", CultureInfo.InvariantCulture));
            w.WriteStartObject("node");
            w.WriteNumber("nodeid", s.NodeId);
            w.WriteString("cluster_name", s.ClusterName);
            w.WriteString("transport", s.Transport);
            w.WriteNumber("pid", s.ProcessId);
            w.WriteString("state", s.State);
            w.WriteBoolean("faulted", s.Faulted);
            WriteRing(w, "ring", s.Ring);
            w.WriteEndObject();

            w.WriteStartArray("members");
            foreach (MemberStatus m in s.Members)
            {
                w.WriteStartObject();
                w.WriteNumber("nodeid", m.NodeId);
                if (m.Name != null)
                {
                    w.WriteString("name", m.Name);
                }

                w.WriteBoolean("in_ring", m.InRing);
                w.WriteBoolean("local", m.Local);
                w.WriteStartArray("addresses");
                foreach (string a in m.Addresses)
                {
                    w.WriteStringValue(a);
                }

                w.WriteEndArray();
                w.WriteStartArray("links");
                foreach (LinkStatus l in m.Links)
                {
                    w.WriteStartObject();
                    w.WriteNumber("link", l.Link);
                    w.WriteString("address", l.Address);
                    w.WriteBoolean("connected", l.Connected);
                    w.WriteNumber("mtu", l.Mtu);
                    w.WriteNumber("link_ups", l.LinkUps);
                    w.WriteNumber("link_downs", l.LinkDowns);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();

            QuorumStatus q = s.Quorum;
            w.WriteStartObject("quorum");
            WriteRing(w, "ring", q.Ring);
            w.WriteBoolean("quorate", q.Quorate);
            w.WriteNumber("expected_votes", q.ExpectedVotes);
            w.WriteNumber("highest_expected", q.HighestExpected);
            w.WriteNumber("total_votes", q.TotalVotes);
            w.WriteNumber("quorum", q.Quorum);
            w.WriteNumber("node_votes", q.NodeVotes);
            w.WriteStartArray("flags");
            foreach (string f in q.Flags)
            {
                w.WriteStringValue(f);
            }

            w.WriteEndArray();
            w.WriteStartArray("nodes");
            foreach (QuorumMember n in q.Nodes)
            {
                w.WriteStartObject();
                w.WriteNumber("nodeid", n.NodeId);
                w.WriteNumber("votes", n.Votes);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteStartObject("sync");
            w.WriteBoolean("in_progress", s.Sync.InProgress);
            if (s.Sync.LastCompleted is { } last)
            {
                WriteRing(w, "last_completed", last);
            }
            else
            {
                w.WriteNull("last_completed");
            }

            w.WriteNumber("completed", s.Sync.Completed);
            w.WriteEndObject();

            w.WriteStartArray("cpg");
            foreach (CpgGroupStatus g in s.Groups)
            {
                w.WriteStartObject();
                w.WriteString("group", g.Name);
                w.WriteStartArray("members");
                foreach (CpgMemberStatus m in g.Members)
                {
                    w.WriteStartObject();
                    w.WriteNumber("pid", m.Pid);
                    w.WriteNumber("nodeid", m.NodeId);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            WriteCounts(w, "counters", s.Counters);
            WriteCounts(w, "drops", s.Drops);
            WriteCounts(w, "gather_reasons", s.GatherReasons);
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public static string ToText(NodeStatus s)
    {
        var t = new StringBuilder(2048);
        var names = new Dictionary<uint, string>();
        foreach (MemberStatus m in s.Members)
        {
            names[m.NodeId] = m.Addresses.Length > 0 ? m.Addresses[0] : m.Name ?? "";
        }

        string Name(uint nodeId) => names.TryGetValue(nodeId, out string? n) ? n : "";

        Section(t, "Node information");
        DateTimeOffset local = s.TakenAt.ToLocalTime();
        Line(t, "Date:", local.ToString("ddd MMM ", CultureInfo.InvariantCulture) + local.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2)
            + local.ToString(" HH:mm:ss yyyy", CultureInfo.InvariantCulture)); // ctime's layout, as corosync-quorumtool
        Line(t, "Node ID:", s.NodeId.ToString(CultureInfo.InvariantCulture));
        Line(t, "Cluster name:", s.ClusterName);
        Line(t, "Transport:", s.Transport);
        Line(t, "State:", s.Faulted ? $"{s.State} (faulted: the node left the ring)" : s.State);
        Line(t, "Ring ID:", Hex(s.Ring));
        t.Append('\n');

        // corosync-cfgtool -s: each node, and over knet each link's state.
        Section(t, "Links");
        foreach (MemberStatus m in s.Members)
        {
            string where = m.Local ? "localhost" : m.InRing ? "in ring" : "not in ring";
            t.Append(CultureInfo.InvariantCulture, $"\tnodeid: {m.NodeId,10}:\t{where}\t{string.Join(", ", m.Addresses)}\n");
            foreach (LinkStatus l in m.Links)
            {
                t.Append(CultureInfo.InvariantCulture,
                    $"\t\tlink {l.Link}: {l.Address}\t{(l.Connected ? "connected" : "disconnected")}\tmtu: {l.Mtu}\n");
            }
        }

        t.Append('\n');

        // corosync-quorumtool -s.
        QuorumStatus q = s.Quorum;
        Section(t, "Quorum information");
        Line(t, "Quorum provider:", "corosync_votequorum");
        Line(t, "Nodes:", q.Nodes.Length.ToString(CultureInfo.InvariantCulture));
        Line(t, "Node ID:", s.NodeId.ToString(CultureInfo.InvariantCulture));
        Line(t, "Ring ID:", Hex(q.Ring));
        Line(t, "Quorate:", q.Quorate ? "Yes" : "No");
        t.Append('\n');
        Section(t, "Votequorum information");
        Line(t, "Expected votes:", q.ExpectedVotes.ToString(CultureInfo.InvariantCulture));
        Line(t, "Highest expected:", q.HighestExpected.ToString(CultureInfo.InvariantCulture));
        Line(t, "Total votes:", q.TotalVotes.ToString(CultureInfo.InvariantCulture));
        Line(t, "Quorum:", q.Quorum.ToString(CultureInfo.InvariantCulture) + (q.Quorate ? "" : "  Activity blocked"));
        Line(t, "Flags:", string.Join(' ', q.Flags));
        t.Append('\n');
        Section(t, "Membership information");
        t.Append("    Nodeid      Votes Name\n");
        foreach (QuorumMember n in q.Nodes)
        {
            t.Append(CultureInfo.InvariantCulture, $"{n.NodeId,10} {n.Votes,10} {Name(n.NodeId)}{(n.NodeId == s.NodeId ? " (local)" : "")}\n");
        }

        t.Append('\n');
        Section(t, "Synchronisation");
        Line(t, "State:", s.Sync.InProgress ? "in progress" : s.Sync.LastCompleted is { } r ? $"complete (ring {Hex(r)})" : "not yet synchronised");
        Line(t, "Completed:", s.Sync.Completed.ToString(CultureInfo.InvariantCulture));
        t.Append('\n');

        // corosync-cpgtool.
        t.Append("Group Name\t       PID\t   Node ID\n");
        foreach (CpgGroupStatus g in s.Groups)
        {
            t.Append(g.Name).Append('\n');
            foreach (CpgMemberStatus m in g.Members)
            {
                t.Append(CultureInfo.InvariantCulture, $"\t\t{m.Pid,10}\t{m.NodeId,10} ({Name(m.NodeId)})\n");
            }
        }

        t.Append('\n');
        Counts(t, "Counters", s.Counters);
        Counts(t, "Drops by reason", s.Drops);
        Counts(t, "Gather entries by reason", s.GatherReasons);
        return t.ToString();
    }

    /// <summary>corosync's CS_PRI_RING_ID: both parts in hex ("1.d").</summary>
    public static string Hex(RingId ring) => $"{ring.Rep:x}.{ring.Seq:x}";

    private static void WriteRing(Utf8JsonWriter w, string name, RingId ring)
    {
        w.WriteStartObject(name);
        w.WriteNumber("rep", ring.Rep);
        w.WriteNumber("seq", ring.Seq);
        w.WriteString("id", Hex(ring));
        w.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter w, string name, NamedCount[] counts)
    {
        w.WriteStartObject(name);
        foreach (NamedCount c in counts)
        {
            w.WriteNumber(c.Name, c.Value);
        }

        w.WriteEndObject();
    }

    private static void Section(StringBuilder t, string title) =>
        t.Append(title).Append('\n').Append('-', title.Length).Append('\n');

    private static void Line(StringBuilder t, string label, string value) =>
        t.Append(label.PadRight(18)).Append(value).Append('\n');

    private static void Counts(StringBuilder t, string title, NamedCount[] counts)
    {
        Section(t, title);
        foreach (NamedCount c in counts)
        {
            t.Append(CultureInfo.InvariantCulture, $"{c.Name,-32}{c.Value}\n");
        }

        t.Append('\n');
    }
}
