using FastTotem.Protocol.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

/// <summary>The idle ring's token hold and its release, with the token callback (totempg's flush) in the picture.</summary>
public class SrpTokenHoldTests
{
    /// <summary>
    /// On an idle ring the rep holds the token. When totempg hands a payload over from the token callback of such a
    /// visit, the engine must keep the token held (hold timer armed, hold flag set), not cancel the hold from inside
    /// the visit: that re-sent the previous token, which the next member dropped as a duplicate, and left this one
    /// held with nothing to release it, so the next message waited for the token retransmit timeout (found by
    /// fasttotem bench: 870 ms stalls at 1,000 msgs/s).
    /// </summary>
    [Fact]
    public void PayloadFromTheCallbackOfAHeldVisitKeepsTheHoldReleasable()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        h.RunFor(Ms(2000)); // idle: every visit at the rep holds the token now
        var observer = new FlushOnce(h.Engines[0], [0xC1, 1]);
        h.Engines[0].TokenObserver = observer;
        long duplicatesBefore = h.Engines[1].Counters.DropDuplicateToken;
        for (int i = 0; i < 2000 && !observer.Fired; i++)
        {
            h.RunFor(Ms(1));
        }

        Assert.True(observer.Fired, "the rep never got the token");
        h.RunFor(Ms(5));
        Assert.Contains(h.Delivered[2], d => d.Payload[0] == 0xC1);

        // The next message must release the held token at once and be delivered everywhere within milliseconds.
        h.Multicast(0, [0xC2, 2]);
        h.RunFor(Ms(20));
        Assert.Contains(h.Delivered[1], d => d.Payload[0] == 0xC2);
        Assert.Contains(h.Delivered[2], d => d.Payload[0] == 0xC2);
        Assert.Equal(duplicatesBefore, h.Engines[1].Counters.DropDuplicateToken);
    }

    /// <summary>Multicasts one payload from inside the first token visit it sees, as totempg's flush does.</summary>
    private sealed class FlushOnce(SrpEngine engine, byte[] payload) : ISrpTokenObserver
    {
        public bool Fired { get; private set; }

        public void OnTokenReceived()
        {
            if (!Fired)
            {
                Fired = true;
                Assert.Equal(MulticastResult.Ok, engine.TryMulticast(payload));
            }
        }
    }
}
