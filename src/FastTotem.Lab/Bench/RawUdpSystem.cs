using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>The raw limit: one <c>bench-udp --send</c> in host 1 blasting sendmmsg batches at a recvmmsg receiver in host 2.</summary>
internal sealed class RawUdpSystem(BenchLab lab, BenchSettings settings) : IBenchSystem
{
    private const int Port = 5999;

    public string Name => "udp";

    public string? Unavailable => lab.UsesNamespaces ? null : "n/a (needs root)";

    public bool Supports(BenchScenario scenario) => !scenario.AllSenders;

    public BenchResult Run(BenchScenario scenario)
    {
        var inv = CultureInfo.InvariantCulture;
        string size = scenario.Size.ToString(inv);
        string warm = settings.WarmupSeconds.ToString(inv);
        string secs = settings.Seconds.ToString(inv);
        if (scenario.Rate > 0)
        {
            // The latency floor: a ping-pong at the fixed rate, half of each round trip as the one-way latency.
            BenchProcess echo = lab.Start(2, "bench-udp", settings.FastTotemPath, "bench-udp", "--echo", Port.ToString(inv), "--size", size, "--warmup", warm, "--seconds", secs);
            BenchProcess ping = lab.Start(1, "bench-udp", settings.FastTotemPath, "bench-udp", "--ping", $"{lab.Address(2)}:{Port}", "--size", size, "--rate", scenario.Rate.ToString(inv), "--warmup", warm, "--seconds", secs);
            BenchResult floor = MemberRun.Measure(lab, settings, scenario, new[] { echo, ping }, new[] { echo.Pid, ping.Pid }, 2);
            return new BenchResult
            {
                Scenario = floor.Scenario,
                Error = floor.Error,
                MsgsPerSec = floor.MsgsPerSec,
                P50Ms = floor.P50Ms,
                P99Ms = floor.P99Ms,
                P999Ms = floor.P999Ms,
                CpuPercentPerNode = floor.CpuPercentPerNode,
                Note = "raw UDP ping-pong, half the round trip",
            };
        }

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
