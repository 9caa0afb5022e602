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
}
