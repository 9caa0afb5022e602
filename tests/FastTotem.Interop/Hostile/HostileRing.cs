using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastTotem.Cli.Bench;

namespace FastTotem.Interop.Hostile;

/// <summary>
/// A lab ring under attack: hosts 1–3 run corosync 3.1.7 or FastTotem (udpu, token 1000), host 4 is the attacker,
/// whose address is in every node's nodelist but which never runs corosync. The attacker watches the switch
/// (<see cref="RingSniffer"/>) and sends from its own namespace, from its own address, from an unlisted one
/// (<see cref="Unlisted"/>) or with a member's address forged (IP_TRANSPARENT).
/// </summary>
internal sealed class HostileRing : IDisposable
{
    public const int Attacker = 4;

    /// <summary>The last byte of an address outside the nodelist, on the lab subnet.</summary>
    public const int Unlisted = 99;

    private readonly Dictionary<int, Socket> _from = new();
    private readonly KnetLabOptions? _knet;
    private readonly string _prefix;

    /// <param name="knet">Run the ring on knet with these settings (an authkey shared by the members, which the attacker
    /// never has) instead of udpu; the sniffer then keeps every datagram on port 5405, sealed as it is.</param>
    public HostileRing(int[] daemons, int[] fastTotems, KnetLabOptions? knet = null)
    {
        _knet = knet;
        Prerequisites.Require();
        Assert.True(File.Exists(Repo.FastTotem), $"{Repo.FastTotem} is missing: run ./build.sh");
        Lab = new NetLab();
        try
        {
            Nodes = Enumerable.Range(1, 4).Select(Lab.AddHost).ToArray();
            _prefix = Nodes[0].Ipv4[..(Nodes[0].Ipv4.LastIndexOf('.') + 1)];
            if (knet != null)
            {
                Lab.WriteAuthKey();
            }

            foreach (LabNode node in Nodes)
            {
                if (knet != null)
                {
                    Lab.KnetConf(node, new[] { 1, 2, 3, 4 }, knet);
                }
                else
                {
                    Lab.CorosyncConf(node, new[] { 1, 2, 3, 4 });
                }
            }

            foreach (int d in daemons)
            {
                if (knet != null)
                {
                    Lab.StartKnetCorosync(Node(d));
                }
                else
                {
                    Lab.StartCorosync(Node(d));
                }
            }

            if (daemons.Length > 1)
            {
                Assert.True(NetLab.WaitForLog(Node(daemons[0]), $@"Members\[{daemons.Length}\]: {string.Join(' ', daemons)}", TimeSpan.FromSeconds(20)),
                    "the daemons did not form their ring");
            }

            foreach (int f in fastTotems)
            {
                StartFastTotem(f);
            }

            // "7: p4@if2: <...": the bridge port the attacker's veth plugs into.
            string port = Shell.Run("ip", "-n", Lab.SwitchNamespace, "-o", "link", "show", $"p{Attacker}");
            Sniffer = new RingSniffer(Lab.SwitchNamespace, _prefix, int.Parse(port[..port.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture),
                totemOnly: knet == null);
            foreach (int source in new[] { 1, 2, 3, Attacker, Unlisted })
            {
                _from[source] = NetnsSockets.SpoofingUdp(Node(Attacker).Namespace, Address(source));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetLab Lab { get; }

    public LabNode[] Nodes { get; } = Array.Empty<LabNode>();

    public RingSniffer Sniffer { get; } = null!;

    public LabNode Node(int id) => Nodes[id - 1];

    public IPAddress Address(int host) => IPAddress.Parse(_prefix + host);

    /// <summary>Starts fasttotem run on host <paramref name="id"/>, with its drop counters in the events every 100 ms.</summary>
    public Process StartFastTotem(int id) => _knet != null
        ? Lab.StartKnetFastTotem(Node(id), null, "--drops", "100")
        : Lab.StartFastTotem(Node(id), "--drops", "100");

    /// <summary>Sends <paramref name="datagram"/> from the address of host <paramref name="source"/> (forged unless it is
    /// the attacker's) to host <paramref name="to"/>'s port 5405.</summary>
    public void Send(int source, int to, byte[] datagram)
    {
        try
        {
            _from[source].SendTo(datagram, new IPEndPoint(Address(to), 5405));
        }
        catch (SocketException)
        {
            // A full send buffer or an ICMP error from an earlier datagram: the attacker does not care.
        }
    }

    public void SendToAll(int source, byte[] datagram, params int[] to)
    {
        foreach (int t in to.Length == 0 ? new[] { 1, 2, 3 } : to)
        {
            Send(source, t, datagram);
        }
    }

    /// <summary>The latest "drops" event of FastTotem on host <paramref name="id"/> (zeros before the first).</summary>
    public Dictionary<string, long> Drops(int id)
    {
        var result = new Dictionary<string, long>();
        foreach (JsonElement e in Events(id))
        {
            if (e.GetProperty("event").GetString() == "drops")
            {
                result.Clear();
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.Number)
                    {
                        result[p.Name] = p.Value.GetInt64();
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Waits until FastTotem on host <paramref name="id"/> reports counter <paramref name="name"/> at least
    /// <paramref name="atLeast"/>; returns the last value seen.</summary>
    public long WaitDrops(int id, string name, long atLeast, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        long v;
        while ((v = Drops(id).GetValueOrDefault(name)) < atLeast && sw.Elapsed < timeout)
        {
            Thread.Sleep(50);
        }

        return v;
    }

    public List<JsonElement> Events(int id)
    {
        LabNode node = Node(id);
        var list = new List<JsonElement>();
        if (!File.Exists(node.EventsFile))
        {
            return list;
        }

        using var fs = new FileStream(node.EventsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        foreach (string line in new StreamReader(fs).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                list.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
            catch (JsonException)
            {
                // a line being written right now
            }
        }

        return list;
    }

    /// <summary>How many events of kind <paramref name="kind"/> FastTotem on host <paramref name="id"/> reported so far.</summary>
    public int EventCount(int id, string kind) => Events(id).Count(e => e.GetProperty("event").GetString() == kind);

    /// <summary>The FastTotem process on host <paramref name="id"/> still runs and never reported a protocol fault.</summary>
    public void AssertFastTotemAlive(int id, string after)
    {
        Process? p = Node(id).FastTotem;
        Assert.True(p != null && !p.HasExited, $"FastTotem on node {id} exited after {after}");
        JsonElement[] faults = Events(id).Where(e => e.GetProperty("event").GetString() == "fault").ToArray();
        Assert.True(faults.Length == 0, $"FastTotem on node {id} faulted after {after}: {string.Join("; ", faults.Select(f => f.GetRawText()))}");
    }

    /// <summary>
    /// FastTotem's view: its last regular configuration has exactly <paramref name="members"/>, sync completed on
    /// that ring, and it has not entered GATHER since. Returns the ring seq, or null.
    /// </summary>
    public ulong? FastTotemWhole(int id, uint[] members)
    {
        ulong? seq = null;
        bool synced = false;
        foreach (JsonElement e in Events(id))
        {
            switch (e.GetProperty("event").GetString())
            {
                case "gather":
                    seq = null;
                    synced = false;
                    break;
                case "config" when e.GetProperty("type").GetString() == "regular":
                    synced = false;
                    seq = e.GetProperty("members").EnumerateArray().Select(x => x.GetUInt32()).SequenceEqual(members)
                        ? e.GetProperty("ring").GetProperty("seq").GetUInt64()
                        : null;
                    break;
                case "sync-complete" when seq != null && e.GetProperty("ring").GetProperty("seq").GetUInt64() == seq:
                    synced = true;
                    break;
            }
        }

        return synced ? seq : null;
    }

    /// <summary>A daemon's view, from its log: the last membership it logged is <paramref name="members"/>, sync
    /// completed after it and it has not entered GATHER since.</summary>
    public bool DaemonWhole(int id, string members)
    {
        string log = File.Exists(Node(id).LogFile) ? ReadShared(Node(id).LogFile) : "";
        MatchCollection ms = Regex.Matches(log, @"Members\[\d+\]: ([0-9 ]+)\n");
        if (ms.Count == 0 || ms[^1].Groups[1].Value.Trim() != members)
        {
            return false;
        }

        int at = ms[^1].Index;
        return log.LastIndexOf("Completed service synchronization", StringComparison.Ordinal) > at
            && log.LastIndexOf("entering GATHER state", StringComparison.Ordinal) < at;
    }

    /// <summary>Waits until every daemon and FastTotem node agree that the ring is exactly <paramref name="members"/>.</summary>
    public bool WaitWhole(int[] daemons, int[] fastTotems, uint[] members, TimeSpan timeout)
    {
        string text = string.Join(' ', members);
        var sw = Stopwatch.StartNew();
        do
        {
            if (daemons.All(d => DaemonWhole(d, text)) && fastTotems.All(f => FastTotemWhole(f, members) != null))
            {
                return true;
            }

            Thread.Sleep(100);
        }
        while (sw.Elapsed < timeout);

        return false;
    }

    /// <summary>What each node last saw, for a failure message: a daemon's last membership line and whether sync
    /// completed or GATHER began after it; FastTotem's last few events (gathers with their reason, configurations,
    /// sync completions).</summary>
    public string Describe(int[] daemons, int[] fastTotems)
    {
        var text = new System.Text.StringBuilder();
        foreach (int d in daemons)
        {
            string log = File.Exists(Node(d).LogFile) ? ReadShared(Node(d).LogFile) : "";
            MatchCollection ms = Regex.Matches(log, @"Members\[\d+\]: ([0-9 ]+)\n");
            int at = ms.Count == 0 ? -1 : ms[^1].Index;
            text.Append($"daemon {d}: members [{(ms.Count == 0 ? "none" : ms[^1].Groups[1].Value.Trim())}]")
                .Append($", sync completed after: {at >= 0 && log.LastIndexOf("Completed service synchronization", StringComparison.Ordinal) > at}")
                .Append($", GATHER after: {log.LastIndexOf("entering GATHER state", StringComparison.Ordinal) > at}")
                .Append($", exited: {Node(d).Corosync?.HasExited}; ");
        }

        foreach (int f in fastTotems)
        {
            List<JsonElement> events = Events(f).Where(e => e.GetProperty("event").GetString() is "gather" or "config" or "sync-complete").ToList();
            text.Append($"FastTotem {f}: {events.Count} membership events, last: ")
                .Append(string.Join(" | ", events.Skip(Math.Max(0, events.Count - 6)).Select(e => e.GetRawText())))
                .Append("; ");
        }

        return text.ToString();
    }

    public static string ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(fs).ReadToEnd();
    }

    public void Dispose()
    {
        foreach (Socket s in _from.Values)
        {
            s.Dispose();
        }

        Sniffer?.Dispose();
        Lab.Dispose();
    }
}
