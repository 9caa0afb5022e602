using FastTotem.Sim;
using Xunit.Abstractions;

namespace FastTotem.Simulation;

/// <summary>
/// Sweep seeds that broke a guarantee, replayed one by one. Those still failing with the current engine are skipped
/// with the finding; un-skip a seed when the engine is fixed (and drop it from RandomSweepTests.KnownFailingSeeds).
/// </summary>
public class RegressionSeedTests(ITestOutputHelper output)
{
    private const string JoinStorm =
        "engine: join storm after crashes/restarts (every join that is not a subset re-enters GATHER and multicasts a join, as memb_join_process does; two fresh nodes keep answering each other's failed lists), virtual time stops";

    private const string SlowMerge =
        "engine: after the heal, nodes 2 and 3 keep forming singleton rings every consensus period for 4.7 s before merging (bound 3.9 s)";

    private const string RecoveryMissing =
        "engine: virtual synchrony broken, a node that moved with another from the old ring to the new one never got old-ring messages the other delivered (recovery did not retransmit them)";

    [Theory]
    [InlineData(71UL, Skip = JoinStorm)]
    [InlineData(56UL, Skip = JoinStorm)]
    [InlineData(120UL, Skip = SlowMerge)]
    [InlineData(228UL, Skip = RecoveryMissing)]
    [InlineData(253UL, Skip = RecoveryMissing)]
    [InlineData(300UL, Skip = RecoveryMissing)]
    [InlineData(285UL, Skip = "engine: self-delivery and liveness (6 messages of n6 never delivered), not yet analysed")]
    public void SeedKeepsEveryGuarantee(ulong seed)
    {
        SimRunResult result = SimRunner.Run(SimSweep.OptionsForSeed(seed));
        output.WriteLine(result.Summary());
        foreach (Violation v in result.Report.Violations)
        {
            output.WriteLine(v.ToString());
        }

        Assert.True(result.Report.Passed, SimSweep.Line(result));
    }
}
