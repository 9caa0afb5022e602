using FastTotem.Sim;
using FastTotem.Wire;

namespace FastTotem.Simulation;

/// <summary>The checker on hand-made histories: each guarantee accepts a correct history and catches a broken one.</summary>
public class TotemCheckerTests
{
    private const long Ms = SimFormat.NsPerMs;
    private static readonly MembRingId RingA = new(1, 4);
    private static readonly MembRingId RingB = new(1, 8);

    /// <summary>
    /// Three nodes form ring A, each multicasts one message, all deliver them in the same order; then node 3 leaves
    /// (crashes) and nodes 1 and 2 move to ring B together, where node 1 multicasts one more message.
    /// </summary>
    private sealed class Builder
    {
        public readonly SimHistory H = new(3);
        public readonly int[] P = new int[4];
        private long _t;

        public long T => _t += Ms;

        public Builder()
        {
            H.LivenessBoundNs = 1000 * Ms;
            for (uint n = 1; n <= 3; n++)
            {
                P[n] = H.StartProcess(T, n);
            }
        }

        public void Regular(uint node, MembRingId ring, params uint[] members) =>
            H.ConfigChange(T, P[node], SimConfigKind.Regular, ring, members);

        public void Transitional(uint node, MembRingId ring, params uint[] members) =>
            H.ConfigChange(T, P[node], SimConfigKind.Transitional, ring, members);

        public void Mcast(uint node, uint counter) => H.Multicast(T, P[node], new MessageId(node, counter));

        public void Deliver(uint node, uint from, uint counter) => H.Deliver(T, P[node], from, new MessageId(from, counter));

        public void Crash(uint node) => H.Crash(T, P[node]);

        public static Builder Correct(bool skipFinalDelivery = false, bool swapOrderOnNode2 = false, bool node2MissesInA = false)
        {
            var b = new Builder();
            for (uint n = 1; n <= 3; n++)
            {
                b.Regular(n, RingA, 1, 2, 3);
            }

            for (uint n = 1; n <= 3; n++)
            {
                b.Mcast(n, 1);
            }

            for (uint n = 1; n <= 3; n++)
            {
                if (n == 2 && swapOrderOnNode2)
                {
                    b.Deliver(n, 2, 1);
                    b.Deliver(n, 1, 1);
                }
                else
                {
                    b.Deliver(n, 1, 1);
                    if (!(n == 2 && node2MissesInA))
                    {
                        b.Deliver(n, 2, 1);
                    }
                }

                b.Deliver(n, 3, 1);
            }

            b.Crash(3);
            b.H.FaultsHealedNs = b.T;
            for (uint n = 1; n <= 2; n++)
            {
                b.Transitional(n, RingB, 1, 2);
                b.Regular(n, RingB, 1, 2);
            }

            b.Mcast(1, 2);
            b.Deliver(1, 1, 2);
            if (!skipFinalDelivery)
            {
                b.Deliver(2, 1, 2);
            }

            b.H.AppStopNs = b.T;
            b.H.EndNs = b.T + 10 * Ms;
            return b;
        }
    }

    private static CheckReport Check(Builder b) => TotemChecker.Check(b.H);

    private static void AssertOnly(CheckReport report, Guarantee g)
    {
        Assert.True(report.Has(g), $"expected a {g} violation:\n{report.Summary()}");
        foreach (Violation v in report.Violations)
        {
            Assert.Equal(g, v.Guarantee);
            Assert.NotEmpty(v.Trace);
            Assert.Contains(g.ToString(), v.ToString());
        }
    }

    [Fact]
    public void CorrectHistoryPassesEveryGuarantee()
    {
        CheckReport report = Check(Builder.Correct());
        Assert.True(report.Passed, report.Summary() + string.Join('\n', report.Violations));
        Assert.Null(report.NotCheckedReason(Guarantee.Liveness));
        Assert.Contains("pass", report.Verdict(Guarantee.AgreedOrder));
    }

    [Fact]
    public void AgreedOrderViolationIsReportedWithBothMessages()
    {
        CheckReport report = Check(Builder.Correct(swapOrderOnNode2: true));
        AssertOnly(report, Guarantee.AgreedOrder);
        Violation v = report.Violations[0];
        Assert.Equal([1u, 2u], v.Nodes);
        Assert.Contains(new MessageId(1, 1), v.Messages);
        Assert.Contains(new MessageId(2, 1), v.Messages);
    }

    [Fact]
    public void DuplicateDeliveryIsAnIntegrityViolation()
    {
        Builder b = Builder.Correct();
        b.Deliver(2, 1, 2);
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.Integrity);
        Assert.Contains("twice", report.Violations[0].Description);
    }

    [Fact]
    public void InventedMessageIsAnIntegrityViolation()
    {
        Builder b = Builder.Correct();
        b.Deliver(1, 2, 99); // node 2 never multicast counter 99
        CheckReport report = Check(b);
        Assert.True(report.Has(Guarantee.Integrity));
        Assert.Equal([new MessageId(2, 99)], report.Violations[0].Messages);
    }

    [Fact]
    public void UnparsablePayloadAndWrongSenderAreIntegrityViolations()
    {
        Builder b = Builder.Correct();
        b.H.Deliver(b.T, b.P[1], 2, MessageId.Invalid);
        b.H.Deliver(b.T, b.P[2], 3, new MessageId(1, 2)); // node 1's message reported as sent by node 3
        CheckReport report = Check(b);
        Assert.Equal(2, report.Count(Guarantee.Integrity));
    }

    [Fact]
    public void DeliveryBeforeMulticastIsAnIntegrityViolation()
    {
        var b = new Builder();
        b.Deliver(1, 2, 1);
        b.Mcast(2, 1);
        Assert.True(Check(b).Has(Guarantee.Integrity));
    }

    [Fact]
    public void MovingTogetherWithDifferentSetsBreaksVirtualSynchrony()
    {
        CheckReport report = Check(Builder.Correct(node2MissesInA: true));
        Assert.True(report.Has(Guarantee.VirtualSynchrony), report.Summary());
        Violation v = report.Violations.First(x => x.Guarantee == Guarantee.VirtualSynchrony);
        Assert.Equal([RingA, RingB], v.Rings);
        Assert.Equal([new MessageId(2, 1)], v.Messages);
        // Node 2 also never delivered its own message.
        Assert.True(report.Has(Guarantee.SelfDelivery));
    }

    [Fact]
    public void DifferentNextRingsAreNotComparedForVirtualSynchrony()
    {
        // Node 2 misses m1:1 but goes to a different ring than node 1: no common move, no VS violation.
        var b = new Builder();
        b.Regular(1, RingA, 1, 2);
        b.Regular(2, RingA, 1, 2);
        b.Mcast(1, 1);
        b.Deliver(1, 1, 1);
        b.Regular(1, new MembRingId(1, 8), 1);
        b.Regular(2, new MembRingId(2, 8), 2);
        b.H.LivenessBoundNs = 0;
        CheckReport report = Check(b);
        Assert.False(report.Has(Guarantee.VirtualSynchrony), report.Summary());
    }

    [Fact]
    public void UndeliveredOwnMessageBreaksSelfDeliveryUnlessTheNodeCrashed()
    {
        Builder b = Builder.Correct();
        b.Mcast(2, 2); // never delivered, node 2 stays alive
        b.H.AppStopNs = b.T;
        CheckReport report = Check(b);
        Assert.True(report.Has(Guarantee.SelfDelivery));
        Assert.Equal([2u], report.Violations.First(v => v.Guarantee == Guarantee.SelfDelivery).Nodes);

        Builder crashed = Builder.Correct();
        crashed.Mcast(2, 2);
        crashed.Crash(2);
        crashed.H.AppStopNs = crashed.T;
        crashed.H.LivenessBoundNs = 0;
        Assert.False(Check(crashed).Has(Guarantee.SelfDelivery));
    }

    [Fact]
    public void DisagreeingMemberListsBreakConfigAgreement()
    {
        Builder b = Builder.Correct();
        b.Regular(1, new MembRingId(1, 12), 1, 2);
        b.Regular(2, new MembRingId(1, 12), 1, 2, 3);
        b.H.LivenessBoundNs = 0;
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.ConfigAgreement);
        Assert.Equal([new MembRingId(1, 12), new MembRingId(1, 12)], report.Violations[0].Rings);
    }

    [Fact]
    public void RingSeqMustGrowAcrossRestarts()
    {
        var b = new Builder();
        b.Regular(1, new MembRingId(1, 8), 1);
        b.Crash(1);
        b.P[1] = b.H.StartProcess(b.T, 1);
        b.Regular(1, new MembRingId(1, 5), 1); // the persisted seq was forgotten
        b.H.LivenessBoundNs = 0;
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.ConfigAgreement);
        Assert.Contains("did not grow", report.Violations[0].Description);
    }

    [Fact]
    public void MemberListWithoutTheReporterBreaksConfigAgreement()
    {
        var b = new Builder();
        b.Regular(3, RingA, 1, 2);
        b.H.LivenessBoundNs = 0;
        Assert.True(Check(b).Has(Guarantee.ConfigAgreement));
    }

    [Fact]
    public void RingFormedAfterTheBoundBreaksLiveness()
    {
        Builder b = Builder.Correct();
        b.H.LivenessBoundNs = 1; // the final ring formed more than 1 ns after the heal
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.Liveness);
        Assert.Contains("after the bound", report.Violations[0].Description);
    }

    [Fact]
    public void SplitFinalRingsBreakLiveness()
    {
        var b = new Builder();
        b.Regular(1, new MembRingId(1, 4), 1);
        b.Regular(2, new MembRingId(2, 4), 2);
        b.Regular(3, new MembRingId(3, 4), 3);
        b.H.EndNs = b.T;
        Assert.True(Check(b).Has(Guarantee.Liveness));
    }

    [Fact]
    public void MessageInTheFinalRingMissingAtOneNodeBreaksLiveness()
    {
        Builder b = Builder.Correct(skipFinalDelivery: true);
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.Liveness);
        Assert.Equal([new MessageId(1, 2)], report.Violations[0].Messages);
    }

    [Fact]
    public void LivenessIsNotCheckedWithoutABound()
    {
        Builder b = Builder.Correct(skipFinalDelivery: true);
        b.H.LivenessBoundNs = 0;
        CheckReport report = Check(b);
        Assert.True(report.Passed);
        Assert.NotNull(report.NotCheckedReason(Guarantee.Liveness));
        Assert.StartsWith("not checked", report.Verdict(Guarantee.Liveness));
    }

    [Fact]
    public void TraceEndsAtTheViolationAndIsBounded()
    {
        Builder b = Builder.Correct(swapOrderOnNode2: true);
        for (uint c = 2; c < 60; c++)
        {
            b.Mcast(3, c); // noise the trace must leave out (process 3's later multicasts of unrelated ids)
        }

        Violation v = Check(b).Violations.First(x => x.Guarantee == Guarantee.AgreedOrder);
        Assert.InRange(v.Trace.Count, 1, TotemChecker.TraceLength);
        Assert.DoesNotContain(v.Trace, r => r.Kind == SimRecordKind.Multicast && r.Message.Counter > 1);
    }

    [Fact]
    public void StalledRunIsALivenessViolationAndSuspendsSelfDelivery()
    {
        Builder b = Builder.Correct();
        b.Mcast(2, 2);
        b.H.StallReason = "virtual time stuck";
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.Liveness);
        Assert.Equal("virtual time stuck", report.Violations[0].Description);
        Assert.NotNull(report.NotCheckedReason(Guarantee.SelfDelivery));
    }

    [Fact]
    public void OrdersWithNoCommonTotalOrderAreCaughtEvenWithoutAPairwiseInversion()
    {
        // p delivers a,b; q delivers b,c; r delivers c,a: every pair agrees on its common messages, yet no total
        // order contains all three, which Totem's agreed order forbids.
        var b = new Builder();
        for (uint n = 1; n <= 3; n++)
        {
            b.Regular(n, RingA, 1, 2, 3);
        }

        b.Mcast(1, 1);
        b.Mcast(2, 1);
        b.Mcast(3, 1);
        b.Deliver(1, 1, 1);
        b.Deliver(1, 2, 1);
        b.Deliver(2, 2, 1);
        b.Deliver(2, 3, 1);
        b.Deliver(3, 3, 1);
        b.Deliver(3, 1, 1);
        b.H.LivenessBoundNs = 0;
        b.H.AppStopNs = 0;
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.AgreedOrder);
        Assert.Contains("no single total order", report.Violations[0].Description);
        Assert.Equal(3, report.Violations[0].Messages.Length);
    }

    // The later faults, each with a history that must fail.

    [Fact]
    public void ReplayedOldRingMessageDeliveredInALaterRingBreaksSenderMembership()
    {
        // A replayed datagram of ring A (node 3's m3:1) comes out again at node 2 after nodes 1 and 2 moved to ring B
        // without node 3. Node 2 never delivered it in ring A, so it is no duplicate: only the sender check sees it.
        var b = new Builder();
        for (uint n = 1; n <= 3; n++)
        {
            b.Regular(n, RingA, 1, 2, 3);
        }

        b.Mcast(3, 1);
        b.Deliver(1, 3, 1);
        b.Deliver(3, 3, 1);
        b.Crash(3);
        for (uint n = 1; n <= 2; n++)
        {
            b.Transitional(n, RingB, 1, 2);
            b.Regular(n, RingB, 1, 2);
        }

        b.H.Note(b.T, "replay of 5 old datagrams (1 tokens), the oldest sent at 0.002000s");
        b.Deliver(2, 3, 1);
        b.H.FaultsHealedNs = b.T;
        b.H.AppStopNs = b.T;
        CheckReport report = Check(b);
        Assert.True(report.Has(Guarantee.SenderMembership), report.Summary());
        Violation v = report.Violations.First(x => x.Guarantee == Guarantee.SenderMembership);
        Assert.Equal([2u, 3u], v.Nodes);
        Assert.Contains("do not include the sender", v.Description);
        Assert.Contains(v.Trace, r => r.Kind == SimRecordKind.Note && r.Note!.StartsWith("replay", StringComparison.Ordinal));
    }

    [Fact]
    public void DeliveryBeforeAnyConfigurationBreaksSenderMembership()
    {
        var b = new Builder();
        b.Mcast(1, 1);
        b.Deliver(2, 1, 1); // node 2 delivers before it installed any ring
        b.H.LivenessBoundNs = 0;
        b.H.AppStopNs = 0;
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.SenderMembership);
        Assert.Contains("before it installed any configuration", report.Violations[0].Description);
    }

    [Fact]
    public void MessagesOfTheTransitionalConfigurationKeepSenderMembership()
    {
        // Node 3's message delivered between the transitional and the regular change of ring B belongs to ring A,
        // where node 3 was a member: no violation (the check reads the last regular configuration).
        Builder b = Builder.Correct();
        CheckReport report = Check(b);
        Assert.False(report.Has(Guarantee.SenderMembership), report.Summary());
    }

    [Fact]
    public void ReplayedDatagramDeliveredTwiceIsAnIntegrityViolation()
    {
        Builder b = Builder.Correct();
        b.H.Note(b.T, "replay of 3 old datagrams (0 tokens), the oldest sent at 0.004000s");
        b.Deliver(1, 1, 2); // node 1 delivers its own m1:2 again
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.Integrity);
        Assert.Contains("twice", report.Violations[0].Description);
    }

    [Fact]
    public void ANodeLeftOutByAOneWayLinkBreaksLiveness()
    {
        // The one-way cut healed, but node 3 still sits in its own ring while 1 and 2 run ring B.
        var b = new Builder();
        b.Regular(1, RingB, 1, 2);
        b.Regular(2, RingB, 1, 2);
        b.H.Note(b.T, "one-way links cut: n3->n1 n3->n2");
        b.Regular(3, new MembRingId(3, 12), 3);
        b.H.Note(b.T, "one-way links healed");
        b.H.FaultsHealedNs = b.T;
        b.H.EndNs = b.T + 5000 * Ms;
        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.Liveness);
        Assert.Contains("not all live nodes", report.Violations[0].Description);
    }

    [Fact]
    public void ARingFormedTooLongAfterAPauseEndedBreaksLiveness()
    {
        // A pause counts as a fault until the node runs again; the bound runs from there, and this ring came late.
        Builder b = Builder.Correct();
        b.H.Note(b.T, "pause n1 for 3.000000s");
        b.H.FaultsHealedNs = b.T; // "n1 runs again"
        b.H.LivenessBoundNs = 1;
        b.H.EndNs = b.T + 10 * Ms;
        for (uint n = 1; n <= 2; n++)
        {
            b.Regular(n, new MembRingId(1, 12), 1, 2);
        }

        CheckReport report = Check(b);
        AssertOnly(report, Guarantee.Liveness);
        Assert.Contains("after the bound", report.Violations[0].Description);
    }
}
