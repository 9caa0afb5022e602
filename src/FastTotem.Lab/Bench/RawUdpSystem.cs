using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>The raw limit: one <c>bench-udp --send</c> in host 1 blasting sendmmsg batches at a recvmmsg receiver in host 2.</summary>
internal sealed class RawUdpSystem(BenchLab lab, BenchSettings settings) : IBenchSystem
{
    private const int Port = 5999;

    public string Name => "udp";

    public string? Unavailable => lab.UsesNamespaces ? null : "n/a (needs root)";

    public bool Supports(BenchScenario scenario) => !scenario.AllSenders && scenario.Rate == 0;

    public BenchResult Run(BenchScenario scenario)
    {
        var inv = CultureInfo.InvariantCulture;
        string size = scenario.Size.ToString(inv);
        string warm = settings.WarmupSeconds.ToString(inv);
        string secs = settings.Seconds.ToString(inv);
        BenchProcess receiver = lab.Start(2, "bench-udp", settings.FastTotemPath, "bench-udp", "--recv", Port.ToString(inv), "--size", size, "--warmup", warm, "--seconds", secs);
        BenchProcess sender = lab.Start(1, "bench-udp", settings.FastTotemPath, "bench-udp", "--send", $"{lab.Address(2)}:{Port}", "--size", size, "--warmup", warm, "--seconds", secs);
        BenchResult r = MemberRun.Measure(lab, settings, scenario, new[] { receiver, sender }, new[] { receiver.Pid, sender.Pid }, 2);
        string note = scenario.Size > BenchUdpCommand.MaxDatagram ? $"{BenchUdpCommand.MaxDatagram} B datagrams, IP-fragmented" : scenario.Size > 1472 ? "IP-fragmented" : "";
        return new BenchResult
        {
            Scenario = r.Scenario,
            Error = r.Error,
            MsgsPerSec = r.MsgsPerSec,
            BytesPerSec = r.BytesPerSec,
            SentPerSec = r.SentPerSec,
            CpuPercentPerNode = r.CpuPercentPerNode,
            Note = note,
        };
    }

    public void Dispose()
    {
    }
}
