using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

/// <summary>The idle ring's token hold and its release, with the token visit's pull (totempg's flush) in the picture.</summary>
public class SrpTokenHoldTests
{
    /// <summary>
    /// On an idle ring the rep holds the token. When the engine pulls a payload from totempg during such a visit, it
    /// must keep the token held (hold timer armed, hold flag set), not cancel the hold from inside the visit: that re-sent the previous token, which the next member dropped as a duplicate, and left this one
    /// held with nothing to release it, so the next message waited for the token retransmit timeout (found by
    /// fasttotem bench: 870 ms stalls at 1,000 msgs/s).
    /// </summary>
    [Fact]
    public void PayloadFromTheCallbackOfAHeldVisitKeepsTheHoldReleasable()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        h.RunFor(Ms(2000)); // idle: every visit at the rep holds the token now
        // A packed message waits in totempg (no signal, as a packed small message does) until a token visit pulls it.
        var packer = new PgPacker(h.Engines[0].MaxPayload);
        h.Machines[0].HostPacker = packer;
        h.Machines[0].HostPackerLane = h.Engines[0].WaitingTransAck ? SendLane.Transitional : SendLane.Regular;
        Assert.Equal(SendResult.Ok, packer.TrySend(new PgGroupSet("t"u8), [0xC1, 1]));
        long duplicatesBefore = h.Engines[1].Counters.DropDuplicateToken;
        for (int i = 0; i < 2000 && !Pulled(h); i++)
        {
            h.RunFor(Ms(1));
        }

        Assert.True(Pulled(h), "the rep never pulled the packed message on a token visit");
        h.RunFor(Ms(5));
        Assert.Contains(h.Delivered[2], d => d.Payload[^2] == 0xC1);

        // The next message must release the held token at once and be delivered everywhere within milliseconds.
        h.Multicast(0, [0xC2, 2]);
        h.RunFor(Ms(20));
        Assert.Contains(h.Delivered[1], d => d.Payload[0] == 0xC2);
        Assert.Contains(h.Delivered[2], d => d.Payload[0] == 0xC2);
        Assert.Equal(duplicatesBefore, h.Engines[1].Counters.DropDuplicateToken);
    }

    private static bool Pulled(RingHarness h) => h.Delivered[0].Exists(d => d.Payload.Length >= 2 && d.Payload[^2] == 0xC1);
}
