using FastTotem.Hosting;

namespace FastTotem.Tests.Hosting;

public class RestartBudgetTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void FiveRestartsAMinuteThenNoMoreUntilTheOldestLeavesTheWindow()
    {
        var budget = new RestartBudget(5, 60 * Second);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(budget.TryRestart(i * Second), $"restart {i + 1}");
        }

        Assert.False(budget.TryRestart(5 * Second));
        Assert.False(budget.TryRestart(59 * Second + 999));
        Assert.Equal(5, budget.Restarts);

        // 60 s after the first one, one more fits; the next waits for the second to leave the window.
        Assert.True(budget.TryRestart(60 * Second));
        Assert.False(budget.TryRestart(60 * Second + 1));
        Assert.True(budget.TryRestart(61 * Second));
        Assert.Equal(7, budget.Restarts);
    }

    [Fact]
    public void SparseRestartsNeverRunOut()
    {
        var budget = new RestartBudget(5, 60 * Second);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(budget.TryRestart(i * 13 * Second));
        }
    }
}
