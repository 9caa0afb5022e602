using FastTotem.Capture;

namespace FastTotem.Tests.Capture;

/// <summary>
/// The tooling's one progress line (decode, bench, sim, the sweep and the fuzz runs): its text, its rate limit, its
/// in-place rewriting and clearing. Whether a command shows it at all (only with stderr on a terminal) is tested by
/// running the commands (CliHelpTests in the interop tests).
/// </summary>
public class TerminalProgressTests
{
    [Theory]
    [InlineData(0, 1000, 0, "decode: datagram 0 of 1,000 (0 %)")]
    [InlineData(1, 3, 500, "decode: datagram 1 of 3 (33 %)")]
    [InlineData(997, 1000, 999, "decode: datagram 997 of 1,000 (99 %)")]
    [InlineData(1000, 1000, 5000, "decode: datagram 1,000 of 1,000 (100 %)")]
    [InlineData(250, 1000, 10_000, "decode: datagram 250 of 1,000 (25 %), 30 s left")]
    [InlineData(10, 1000, 60_000, "decode: datagram 10 of 1,000 (1 %), 1 h 39 min left")]
    [InlineData(100, 1000, 30_000, "decode: datagram 100 of 1,000 (10 %), 5 min left")]
    [InlineData(5, 0, 5000, "decode: datagram 5")]
    public void TheLineSaysHowFarHowMuchAndHowLong(long done, long total, long elapsedMs, string expected) =>
        Assert.Equal(expected, TerminalProgress.Line("decode: datagram", done, total, elapsedMs));

    [Fact]
    public void DetailGoesBetweenTheCountAndTheTimeLeft() =>
        Assert.Equal("sweep: seed 50 of 100 (50 %), 0 failed, 1.00 seeds/s, 50 s left",
            TerminalProgress.Line("sweep: seed", 50, 100, 50_000, "0 failed, 1.00 seeds/s"));

    [Theory]
    [InlineData(0, 100, 5000, "")]       // nothing done: no rate yet
    [InlineData(10, 100, 999, "")]       // under a second: too early to tell
    [InlineData(100, 100, 5000, "")]     // finished
    [InlineData(1, 2, 1000, "1 s left")]
    [InlineData(1, 2, 59_000, "59 s left")]
    [InlineData(1, 2, 61_000, "2 min left")]
    [InlineData(1, 2, 3_600_000, "1 h 0 min left")]
    public void TimeLeftIsShownOnlyWhenItMeansSomething(long done, long total, long elapsedMs, string expected) =>
        Assert.Equal(expected, TerminalProgress.Remaining(done, total, elapsedMs));

    [Fact]
    public void UpdatesAreRewrittenInPlaceTenTimesASecondAtMostAndClearedAtTheEnd()
    {
        long now = 0;
        var error = new StringWriter();
        var progress = new TerminalProgress(error, "fasttotem sim: virtual second", () => now, columns: 80);
        progress.Report(1, 60);
        now = 50;
        progress.Report(2, 60); // too soon: skipped
        now = 150;
        progress.Report(3, 60);
        now = 160;
        progress.Report(60, 60); // the last one is never skipped
        string shown = error.ToString();
        Assert.Equal(
            "\rfasttotem sim: virtual second 1 of 60 (1 %)" +
            "\rfasttotem sim: virtual second 3 of 60 (5 %)" +
            "\rfasttotem sim: virtual second 60 of 60 (100 %)",
            shown);
        Assert.DoesNotContain('\n', shown);
        error.GetStringBuilder().Clear();
        progress.Clear();
        string cleared = error.ToString();
        Assert.Equal("\r" + new string(' ', "fasttotem sim: virtual second 60 of 60 (100 %)".Length) + "\r", cleared);
        error.GetStringBuilder().Clear();
        progress.Clear(); // nothing on the line any more: nothing to clear
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public void AShorterLinePadsOverTheLongerOneAndALongLineIsCutToTheTerminal()
    {
        long now = 0;
        var error = new StringWriter();
        var progress = new TerminalProgress(error, "", () => now, columns: 20);
        progress.Show("a long line of thirty characters", force: true);
        progress.Show("short", force: true);
        Assert.Equal("\ra long line of thir\rshort              ", error.ToString());
    }

    [Fact]
    public void ShowIsRateLimitedUnlessForced()
    {
        long now = 0;
        var error = new StringWriter();
        var progress = new TerminalProgress(error, "bench", () => now, columns: 80);
        progress.Show("one");
        progress.Show("two");
        progress.Show("three", force: true);
        Assert.Equal("\rbench one\rbench three", error.ToString());
    }

    [Fact]
    public void OnlyStderrOnATerminalGetsAProgressLine()
    {
        // Any writer other than Console.Error never gets one, terminal or not.
        Assert.Null(TerminalProgress.OnTerminal(new StringWriter(), "x"));
        // Under the test runner stderr is redirected: the commands' progress helper must say so and make none.
        if (Console.IsErrorRedirected)
        {
            Assert.False(TerminalProgress.IsTerminal);
            Assert.Null(TerminalProgress.OnTerminal("x"));
        }
    }
}
