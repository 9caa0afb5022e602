using FastTotem.Sim;

namespace FastTotem.Simulation;

public class SimArgumentsTests
{
    [Theory]
    [InlineData("60s", 60_000_000_000L)]
    [InlineData("500ms", 500_000_000L)]
    [InlineData("2m", 120_000_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("30", 30_000_000_000L)]
    public void DurationsParse(string text, long expectedNs)
    {
        Assert.True(SimFormat.TryParseDuration(text, out long ns));
        Assert.Equal(expectedNs, ns);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("-5s")]
    [InlineData("0s")]
    [InlineData("ten")]
    [InlineData("5x")]
    [InlineData("NaNs")]
    public void BadDurationsAreRejected(string text) => Assert.False(SimFormat.TryParseDuration(text, out _));

    [Fact]
    public void FullCommandLineParses()
    {
        string[] args = ["--nodes", "5", "--seed", "0x10", "--duration", "2m", "--loss", "0.1", "--dup", "0.05", "--reorder", "0.2", "--partitions", "--crashes", "--rate", "20", "--token", "500"];
        Assert.True(SimArguments.TryParse(args, out SimOptions o, out string? error), error);
        Assert.Equal(5, o.NodeCount);
        Assert.Equal(16UL, o.Seed);
        Assert.Equal(120 * SimFormat.NsPerSecond, o.DurationNs);
        Assert.Equal(0.1, o.Loss);
        Assert.Equal(0.05, o.Duplicate);
        Assert.Equal(0.2, o.Reorder);
        Assert.True(o.Partitions);
        Assert.True(o.Crashes);
        Assert.Equal(20, o.MessagesPerSecond);
        Assert.Equal(500, o.TokenMs);
        Assert.True(o.FaultsEndNs > 0 && o.FaultsEndNs <= (long)(0.7 * o.DurationNs));
    }

    [Theory]
    [InlineData("--nodes", "0")]
    [InlineData("--nodes", "33")]
    [InlineData("--nodes", "x")]
    [InlineData("--loss", "1.5")]
    [InlineData("--loss", "1")]
    [InlineData("--dup", "-0.1")]
    [InlineData("--seed", "-1")]
    [InlineData("--duration", "1ms")]
    [InlineData("--bogus", "1")]
    [InlineData("--stack", "corosync")]
    [InlineData("--clock-drift", "1001")]
    [InlineData("--clock-drift", "-5")]
    [InlineData("--pause-max", "11s")]
    [InlineData("--socket-buffer", "x")]
    [InlineData("--fault-interval", "0s")]
    [InlineData("--nodes")]
    [InlineData("stray")]
    public void BadArgumentsGiveAClearError(params string[] args)
    {
        Assert.False(SimArguments.TryParse(args, out _, out string? error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void TooShortForTheLivenessPhaseNamesTheMinimum()
    {
        Assert.False(SimArguments.TryParse(["--nodes", "16", "--duration", "5s", "--crashes"], out SimOptions o, out string? error));
        Assert.Contains($"{o.MinimumDurationNs / SimFormat.NsPerMs} ms", error);
    }

    [Fact]
    public void TheLaterFaultsAndTheStackParse()
    {
        Assert.True(SimArguments.TryParse(["--clock-drift", "300", "--pauses", "--pause-max", "2s", "--one-way", "--type-faults", "--replays",
            "--buggify", "--stack", "srp", "--fault-interval", "750ms", "--socket-buffer", "512"], out SimOptions o, out string? error), error);
        Assert.Equal(300, o.ClockDriftPpmMax);
        Assert.True(o.Pauses && o.OneWayLinks && o.TypeFaults && o.Replays && o.Buggify && o.SrpOnly);
        Assert.Equal(2 * SimFormat.NsPerSecond, o.PauseMaxNs);
        Assert.Equal(750 * SimFormat.NsPerMs, o.MeanFaultIntervalNs);
        Assert.Equal(512, o.ReceiveQueueMax);
        Assert.True(SimArguments.TryParse(["--srp-only"], out o, out _) && o.SrpOnly); // the old spelling still works
        Assert.True(SimArguments.TryParse(["--stack", "full"], out o, out _) && !o.SrpOnly && o.EngineFactory == null);
    }

    [Fact]
    public void AllFaultsTurnsEveryFaultOnAndKeepsGivenRates()
    {
        Assert.True(SimArguments.TryParse(["--all-faults", "--loss", "0.1"], out SimOptions o, out string? error), error);
        Assert.True(o.Partitions && o.Crashes && o.Pauses && o.OneWayLinks && o.TypeFaults && o.Replays && o.Buggify);
        Assert.Equal(500, o.ClockDriftPpmMax);
        Assert.Equal(0.1, o.Loss);
        Assert.Equal(0.02, o.Duplicate);
        Assert.Equal(0.02, o.Reorder);
    }

    [Fact]
    public void FormatGivesBackTheSameOptions()
    {
        for (ulong seed = 1; seed <= 50; seed++)
        {
            SimOptions o = SimSweep.OptionsForSeed(seed, 6, 20 * SimFormat.NsPerSecond, everyFault: seed % 2 == 0);
            string text = SimArguments.Format(o);
            Assert.True(SimArguments.TryParse(text.Split(' '), out SimOptions back, out string? error), $"{text}: {error}");
            Assert.Equal(text, SimArguments.Format(back));
            Assert.Equal(o.MeanFaultIntervalNs, back.MeanFaultIntervalNs);
            Assert.Equal(o.Loss, back.Loss);
            Assert.Equal(o.MessagesPerSecond, back.MessagesPerSecond);
        }
    }
}
