using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>
/// "wire": the ceiling a ring of this size can reach on this machine, measured in the same run. One
/// <c>bench-udp</c> in host 1 sends full frames (netmtu − 28 bytes: 1,472 at the default 1,500) with sendmmsg to
/// each of the N−1 other hosts in turn, as a token visit's mcasts go; each receiver counts what arrives. A
/// receiver's datagrams/s become messages/s with corosync's packing: a CPG message of S bytes costs 184 + S + 7
/// bytes, and netmtu − 98 bytes of messages fit a datagram (at 64 B: 255 bytes each, 5 to a datagram); a message
/// larger than a datagram's room takes its cost in datagram room.
/// </summary>
internal sealed class WireBoundSystem(BenchLab lab, BenchSettings settings) : IBenchSystem
{
    private const int Port = 5998;

    public string Name => "wire";

    public string? Unavailable => lab.UsesNamespaces ? null : "n/a (needs root)";

    public bool Supports(BenchScenario scenario) => !scenario.AllSenders && scenario.Rate == 0;

    /// <summary>Messages of <paramref name="size"/> bytes that one datagram of a <paramref name="netMtu"/> ring carries.</summary>
    public static double MessagesPerDatagram(int size, int netMtu)
    {
        double room = netMtu - 98;
        double cost = 184 + size + 7;
        return cost <= room ? Math.Floor(room / cost) : room / cost;
    }

    public BenchResult Run(BenchScenario scenario)
    {
        var inv = CultureInfo.InvariantCulture;
        int netMtu = settings.NetMtu ?? 1500;
        string frame = (netMtu - 28).ToString(inv);
        string warm = settings.WarmupSeconds.ToString(inv);
        string secs = settings.Seconds.ToString(inv);
        var members = new List<BenchProcess>();
        var targets = new List<string>();
        for (int n = 2; n <= settings.Nodes; n++)
        {
            members.Add(lab.Start(n, "bench-udp", settings.FastTotemPath, "bench-udp", "--recv", Port.ToString(inv), "--size", frame, "--warmup", warm, "--seconds", secs));
            targets.Add($"{lab.Address(n)}:{Port}");
        }

        members.Add(lab.Start(1, "bench-udp", settings.FastTotemPath, "bench-udp", "--send", string.Join(',', targets), "--size", frame, "--warmup", warm, "--seconds", secs));
        BenchResult r = MemberRun.Measure(lab, settings, scenario, members, members.Select(m => m.Pid).ToList(), settings.Nodes);
        double perDatagram = MessagesPerDatagram(scenario.Size, netMtu);
        return new BenchResult
        {
            Scenario = r.Scenario,
            Error = r.Error,
            MsgsPerSec = r.MsgsPerSec * perDatagram,
            BytesPerSec = r.MsgsPerSec * perDatagram * scenario.Size,
            SentPerSec = r.SentPerSec,
            CpuPercentPerNode = r.CpuPercentPerNode,
            Note = $"{frame} B datagrams to {settings.Nodes - 1} peers, {r.MsgsPerSec:0} per peer per s, {perDatagram:0.##} msgs each",
        };
    }

    public void Dispose()
    {
    }
}
