using FastTotem.Protocol.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

/// <summary>
/// The singleton fallback (docs/robustness.md): a gather that reaches no consensus six times in a row forms a ring of
/// this node alone instead of sending joins forever; merge detection brings the others back once they answer.
/// Node 1 of an eight-node nodelist runs; the others are forged. Each round, all but one of the nodes still in
/// proc − failed answer with node 1's exact lists, so every consensus timeout fails exactly one more node: a cluster
/// dying one node per round, or an attacker at listed addresses keeping the gather from converging.
/// Evidence at 70d6f8d, before 49206ec brought the fallback (49206ec's parent c312c2d does not compile: its own failing
/// S3/D8 test): the test of 38d34b5 without the GatherFallbackSingleton counter (it did not exist yet), the harness's
/// engine instead of its machine; the five-failures test is left out (it passes either way).
/// </summary>
public class SrpGatherFallbackTests
{
    private static readonly uint[] Proc = [1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void SixConsensusFailuresInARowFallBackToASingletonRing()
    {
        (RingHarness h, SrpEngine victim) = Gathering();
        var failed = new List<uint>();
        for (int round = 1; round <= 6; round++)
        {
            // Nodes 2 .. (8 − round) agree; node 9 − round stays silent and fails at this round's timeout.
            Answer(h, 2, 8 - (uint)round, failed);
            Assert.Equal(SrpState.Gather, victim.State);
            RunToConsensusTimeout(h);
            failed.Add(9 - (uint)round);
        }

        // The sixth failure in a row: node 2 answered every round, yet node 1 forms a ring of its own.
        Assert.Equal(6, victim.Counters.ConsensusTimeouts);
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(0), $"node 1 is {victim.State} with {victim.Members.Length} members after the fallback");
    }

    /// <summary>Node 1 alone in its singleton ring hears node 8 announce all eight nodes, and gathers with them.</summary>
    private static (RingHarness, SrpEngine) Gathering()
    {
        var h = new RingHarness(8);
        h.Start(0);
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(0), "node 1 formed no singleton ring");
        SrpEngine victim = h.Engines[0];
        h.Inject(0, Forge.Join(8, 8, victim.RingId.Seq, Proc, []), 8);
        Assert.Equal(SrpState.Gather, victim.State);
        return (h, victim);
    }

    /// <summary>Joins from nodes <paramref name="first"/>..<paramref name="last"/> carrying node 1's lists.</summary>
    private static void Answer(RingHarness h, uint first, uint last, List<uint> failed)
    {
        uint[] failedSorted = failed.Order().ToArray();
        for (uint k = first; k <= last; k++)
        {
            h.Inject(0, Forge.Join(k, k, h.Engines[0].RingId.Seq, Proc, failedSorted), k);
        }
    }

    /// <summary>Runs node 1 until its next consensus timeout has been handled (the token timeout scales with the
    /// nodelist: consensus is about 5.9 s for eight nodes at token 1000).</summary>
    private static void RunToConsensusTimeout(RingHarness h)
    {
        SrpEngine victim = h.Engines[0];
        long timeouts = victim.Counters.ConsensusTimeouts;
        long limit = h.Now + Ms(30_000);
        while (victim.Counters.ConsensusTimeouts == timeouts)
        {
            long next = h.Engines[0].PollTimeout();
            Assert.True(next <= limit, $"no consensus timeout within 30 s: node 1 is {victim.State} with {victim.Members.Length} members");
            h.RunUntil(next);
        }
    }
}
