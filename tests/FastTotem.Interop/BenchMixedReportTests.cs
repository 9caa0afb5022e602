using FastTotem.Cli.Bench;

namespace FastTotem.Interop;

/// <summary>
/// The mixed ring's report section on made-up results (no namespaces needed): the ratio to corosync, the daemons'
/// figures, and a target that is met only when the FastTotem flood lost, reordered, re-formed and retransmitted
/// nothing worth the name.
/// </summary>
public class BenchMixedReportTests
{
    private static readonly BenchSettings Settings = new() { Sizes = [1024], Seconds = 5, LatencyRate = 0, Runs = 1 };

    [Fact]
    public void AnUndisturbedRingMeetsTheTargetAndShowsBothRings()
    {
        string report = ThroughputMode.Mixed(Settings, [Mixed(), Corosync()]);
        string row = report.Split('\n').Single(l => l.StartsWith("| 1 KiB |", StringComparison.Ordinal));
        Assert.Equal("| 1 KiB | 30,000 | 12,000 | 2.50x | 21 (25) | 40 (44) | 0 | 0 | 0 | 12 / 300 |", row);
        Assert.Contains("undisturbed (no gap, reordering or ring change; retransmits under 1 % of messages): met", report, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 0, 0, 0, "1 gaps")]
    [InlineData(0, 2, 0, 0, "2 reorders")]
    [InlineData(0, 0, 1, 0, "1 ring changes")]
    [InlineData(0, 0, 0, 1_500, "daemon retransmits 1500 for 150,000 messages")]
    [InlineData(0, 0, 0, -1, "daemon retransmits n/a")]
    public void AnyDisturbanceMissesTheTarget(long gaps, long reorders, long ringChanges, long retransmits, string why)
    {
        string report = ThroughputMode.Mixed(Settings, [Mixed(gaps, reorders, ringChanges, retransmits), Corosync()]);
        Assert.Contains("retransmits under 1 % of messages): MISSED (", report, StringComparison.Ordinal);
        Assert.Contains(why, report, StringComparison.Ordinal);
    }

    [Fact]
    public void AMixedRingThatDidNotRunIsNotJudged()
    {
        var failed = new BenchResult { Scenario = new BenchScenario("mixed", 1024, false, 0, 1), Error = "n/a (needs root)" };
        string report = ThroughputMode.Mixed(Settings, [failed, Corosync()]);
        Assert.Contains("| 1 KiB | n/a (needs root) | 12,000 | n/a |", report, StringComparison.Ordinal);
        Assert.Contains("retransmits under 1 % of messages): n/a", report, StringComparison.Ordinal);
    }

    private static BenchResult Mixed(long gaps = 0, long reorders = 0, long ringChanges = 0, long retransmits = 12) => new()
    {
        Scenario = new BenchScenario("mixed", 1024, false, 0, 1),
        MsgsPerSec = 30_000,
        Gaps = gaps,
        Reorders = reorders,
        RingChanges = ringChanges,
        DaemonCpuPercent = 21,
        DaemonCpuMaxPercent = 25,
        DaemonRetransmits = retransmits,
    };

    private static BenchResult Corosync() => new()
    {
        Scenario = new BenchScenario("corosync", 1024, false, 0, 1),
        MsgsPerSec = 12_000,
        DaemonCpuPercent = 40,
        DaemonCpuMaxPercent = 44,
        DaemonRetransmits = 300,
    };
}
