using System.Text;

namespace FastTotem.Cli.Bench;

/// <summary>
/// One sender at a fixed rate (1,000 msgs/s of 1 KiB by default): one-way delivery latency when the ring is not
/// saturated, FastTotem against corosync (issue 7's target: p99 at most half of corosync's).
/// </summary>
internal sealed class RateLatencyMode : IBenchMode
{
    public string Name => "rate-latency";

    public IEnumerable<BenchScenario> Plan(BenchSettings settings)
    {
        if (settings.LatencyRate <= 0)
        {
            yield break;
        }

        foreach (string system in settings.Systems)
        {
            if (system == "wire")
            {
                continue;
            }

            for (int run = 1; run <= settings.Runs; run++)
            {
                yield return new BenchScenario(system, settings.LatencySize, false, settings.LatencyRate, run);
            }
        }
    }

    public string Markdown(BenchSettings settings, IReadOnlyList<BenchResult> results)
    {
        Dictionary<string, BenchResult> med = BenchMedian.Of(results.Where(r => r.Scenario.Rate > 0));
        if (med.Count == 0)
        {
            return "";
        }

        var sb = new StringBuilder();
        sb.Append($"### One-way latency at {settings.LatencyRate:0} msgs/s of {BenchFormat.Size(settings.LatencySize)}, one sender (median of {settings.Runs} runs)\n\n");
        sb.Append("| system | p50 ms | p99 ms | p99.9 ms | msgs/s | CPU/node % | alloc B/msg | GCs |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (string system in settings.Systems)
        {
            BenchResult? r = BenchMedian.Find(med, system, settings.LatencySize, false, settings.LatencyRate);
            if (r == null)
            {
                continue;
            }

            sb.Append(r.Error != null
                ? $"| {system} | {r.Error} | | | | | | |\n"
                : $"| {system} | {BenchFormat.Fixed(r.P50Ms, 3)} | {BenchFormat.Fixed(r.P99Ms, 3)} | {BenchFormat.Fixed(r.P999Ms, 3)} | {BenchFormat.Count(r.MsgsPerSec)} | {BenchFormat.Fixed(r.CpuPercentPerNode, 0)} | {BenchFormat.Fixed(r.AllocBytesPerMsg, 2)} | {(r.GcCount < 0 ? "n/a" : r.GcCount)} |\n");
        }

        double ft = BenchMedian.Find(med, "fasttotem", settings.LatencySize, false, settings.LatencyRate)?.P99Ms ?? double.NaN;
        double cs = BenchMedian.Find(med, "corosync", settings.LatencySize, false, settings.LatencyRate)?.P99Ms ?? double.NaN;
        sb.Append('\n').Append(double.IsNaN(ft) || double.IsNaN(cs)
            ? "Target p99 <= half of corosync's: n/a\n"
            : $"Target p99 <= half of corosync's: {ft:0.000} ms vs {cs / 2:0.000} ms: {(ft <= cs / 2 ? "met" : "MISSED")}\n");
        double ftRr = BenchMedian.Find(med, "fasttotem-rr", settings.LatencySize, false, settings.LatencyRate)?.P99Ms ?? double.NaN;
        double csNorr = BenchMedian.Find(med, "corosync-norr", settings.LatencySize, false, settings.LatencyRate)?.P99Ms ?? double.NaN;
        if (!double.IsNaN(ftRr) && !double.IsNaN(cs))
        {
            sb.Append($"\nSame scheduling (both SCHED_RR 99): FastTotem p99 {ftRr:0.000} ms vs corosync {cs:0.000} ms ({(ftRr <= cs / 2 ? "at most half: met" : "more than half")}).\n");
        }

        if (!double.IsNaN(ft) && !double.IsNaN(csNorr))
        {
            sb.Append($"Same scheduling (both SCHED_OTHER): FastTotem p99 {ft:0.000} ms vs corosync-norr {csNorr:0.000} ms ({(ft <= csNorr / 2 ? "at most half: met" : "more than half")}).\n");
        }

        double busy = BenchMedian.Find(med, "fasttotem-busy", settings.LatencySize, false, settings.LatencyRate)?.P99Ms ?? double.NaN;
        double floor = BenchMedian.Find(med, "udp", settings.LatencySize, false, settings.LatencyRate)?.P99Ms ?? double.NaN;
        if (!double.IsNaN(busy) || !double.IsNaN(floor))
        {
            sb.Append(double.IsNaN(busy) || double.IsNaN(floor)
                ? "\nTarget busy-poll p99 <= 3 x the raw-UDP one-way p99 floor: n/a\n"
                : $"\nTarget busy-poll p99 <= 3 x the raw-UDP one-way p99 floor: {busy:0.000} ms vs {3 * floor:0.000} ms: {(busy <= 3 * floor ? "met" : "MISSED")}\n");
        }

        double csOrNorr = Math.Min(cs, csNorr);
        if (!double.IsNaN(ft) && !double.IsNaN(cs) && !double.IsNaN(csNorr))
        {
            sb.Append($"Target p99 <= half of corosync's as shipped and with sched_rr: no: {ft:0.000} ms vs {csOrNorr / 2:0.000} ms: {(ft <= csOrNorr / 2 ? "met" : "MISSED")}\n");
        }

        return sb.ToString();
    }
}
