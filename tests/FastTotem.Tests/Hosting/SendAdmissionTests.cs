using FastTotem.Hosting;

namespace FastTotem.Tests.Hosting;

/// <summary>The send queue's time bound, on a clock the test drives: no threads, no sockets, no sleeping.</summary>
public class SendAdmissionTests
{
    private const long Ms = 1_000_000;

    /// <summary>A message whose cost (length + corosync's 191 bytes of headers) is exactly <paramref name="cost"/>.</summary>
    private static int Length(long cost) => (int)(cost - SendAdmission.MessageOverhead);

    [Fact]
    public void BeforeAnyRateIsKnownTheFloorIsAdmittedAndNoMore()
    {
        var admission = new SendAdmission(boundNs: 4 * Ms, floorBytes: 1000);
        Assert.True(admission.TryAdmit(Length(500)));
        Assert.True(admission.TryAdmit(Length(500)));
        Assert.Equal(1000, admission.InFlightBytes);
        Assert.False(admission.TryAdmit(Length(200)));
        Assert.Equal(1000, admission.InFlightBytes);

        admission.OnDelivered(0, Length(500));
        Assert.True(admission.TryAdmit(Length(500)));
    }

    [Fact]
    public void AMessageLargerThanTheBudgetGoesWhenNothingIsInFlight()
    {
        var admission = new SendAdmission(boundNs: 4 * Ms, floorBytes: 1000);
        Assert.True(admission.TryAdmit(64 * 1024));
        Assert.False(admission.TryAdmit(1));
        admission.OnDelivered(0, 64 * 1024);
        Assert.Equal(0, admission.InFlightBytes);
        Assert.True(admission.TryAdmit(64 * 1024));
    }

    [Fact]
    public void TheBudgetIsTheMeasuredRateTimesTheBound()
    {
        var admission = new SendAdmission(boundNs: 4 * Ms, floorBytes: 1000);
        long now = 0;
        admission.Tick(now);
        Assert.True(admission.TryAdmit(Length(1000)));
        Assert.False(admission.TryAdmit(Length(1000))); // held back in this window

        // 100 MB/s = 0.1 B/ns delivered while the sender was held back: 500,000 bytes in the 5 ms window.
        for (int i = 0; i < 500; i++)
        {
            admission.OnDelivered(now, Length(1000));
        }

        now += SendAdmission.WindowNs;
        admission.Tick(now);
        Assert.Equal(100e6, admission.RateBytesPerSecond, 1);
        Assert.Equal(400_000, admission.BudgetBytes); // 4 ms at 100 MB/s
    }

    [Fact]
    public void AnIdleWindowDoesNotLowerTheRateAHeldBackOneDoes()
    {
        var admission = new SendAdmission(boundNs: 4 * Ms, floorBytes: 1000);
        long now = 0;
        admission.Tick(now);
        Assert.True(admission.TryAdmit(Length(1000)));
        Assert.False(admission.TryAdmit(Length(1000)));
        Deliver(admission, now, 500, 1000);
        now += SendAdmission.WindowNs;
        admission.Tick(now);
        long budget = admission.BudgetBytes;
        Assert.Equal(400_000, budget);

        // The sender goes quiet: little is delivered and nobody is held back. The budget stays.
        Deliver(admission, now, 1, 1000);
        now += SendAdmission.WindowNs;
        admission.Tick(now);
        Assert.Equal(budget, admission.BudgetBytes);

        // Held back while the ring delivered only 10 MB/s: the estimate falls (halfway, smoothed).
        while (admission.TryAdmit(Length(1000)))
        {
        }

        Deliver(admission, now, 50, 1000);
        now += SendAdmission.WindowNs;
        admission.Tick(now);
        Assert.Equal((100e6 + 10e6) / 2, admission.RateBytesPerSecond, 1);
        Assert.Equal(220_000, admission.BudgetBytes);
    }

    [Fact]
    public void ZeroBoundNeverRefuses()
    {
        var admission = new SendAdmission(boundNs: 0, floorBytes: 1000);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(admission.TryAdmit(1024));
        }

        admission.Tick(0);
        admission.Tick(SendAdmission.WindowNs);
        Assert.True(admission.TryAdmit(1024));
    }

    [Fact]
    public void BytesThatNeverComeBackAreForgottenAfterASecond()
    {
        var admission = new SendAdmission(boundNs: 4 * Ms, floorBytes: 1000);
        admission.Tick(0);
        Assert.True(admission.TryAdmit(Length(1000)));
        Assert.False(admission.TryAdmit(1));
        Assert.False(admission.Tick(SendAdmission.StaleNs - 1));
        Assert.False(admission.TryAdmit(1));
        Assert.True(admission.Tick(SendAdmission.StaleNs)); // the owner wakes a sender waiting in MulticastAsync
        Assert.Equal(1, admission.Resyncs);
        Assert.Equal(0, admission.InFlightBytes);
        Assert.True(admission.TryAdmit(1));

        // A late delivery of the forgotten message does not drive the count below nothing.
        admission.OnDelivered(SendAdmission.StaleNs, Length(1000));
        Assert.Equal(0, admission.InFlightBytes);
    }

    [Fact]
    public void WithdrawnAdmissionsFreeTheirBytes()
    {
        var admission = new SendAdmission(boundNs: 4 * Ms, floorBytes: 1000);
        Assert.True(admission.TryAdmit(Length(1000)));
        admission.Withdraw(Length(1000));
        Assert.Equal(0, admission.InFlightBytes);
    }

    /// <summary>
    /// A flooding sender against a ring that delivers its messages at a fixed rate, a tenth of a millisecond at a
    /// time, after a fixed ring delay: once the rate is measured, no message waits much longer than the bound, and the
    /// ring stays as busy as an unbounded queue would keep it.
    /// </summary>
    [Theory]
    [InlineData(64, 40e6)]    // 64 B messages at 40 MB/s (about 157,000 msgs/s)
    [InlineData(64, 8e6)]     // a slow ring: the 64 KiB floor, not the bound, sets the wait
    [InlineData(1024, 60e6)]  // 1 KiB at 60 MB/s
    [InlineData(8192, 60e6)]
    public void AFloodWaitsAboutTheBoundAndKeepsTheRingBusy(int length, double ringBytesPerSecond)
    {
        const long step = 100_000;          // 0.1 ms
        const long ringDelayNs = 1 * Ms;    // a message is delivered no sooner than a rotation after it was queued
        long bound = 4 * Ms;
        var admission = new SendAdmission(bound, SendAdmission.DefaultFloorBytes);
        var queued = new Queue<long>();     // admission times, FIFO as the ring delivers them
        long cost = SendAdmission.Cost(length);
        double credit = 0;
        long delivered = 0, worstWaitNs = 0;
        long warmUp = 200 * Ms, end = 1000 * Ms;
        long deliveredAfterWarmUp = 0;
        for (long now = 0; now < end; now += step)
        {
            admission.Tick(now);
            while (admission.TryAdmit(length))
            {
                queued.Enqueue(now);
            }

            credit += ringBytesPerSecond * step / 1e9;
            while (queued.Count > 0 && credit >= cost && now - queued.Peek() >= ringDelayNs)
            {
                long admittedAt = queued.Dequeue();
                credit -= cost;
                admission.OnDelivered(now, length);
                delivered++;
                if (now >= warmUp)
                {
                    deliveredAfterWarmUp++;
                    worstWaitNs = Math.Max(worstWaitNs, now - admittedAt);
                }
            }

            if (queued.Count == 0 || now - queued.Peek() < ringDelayNs)
            {
                credit = Math.Min(credit, cost); // an idle ring does not bank its time
            }
        }

        double achieved = deliveredAfterWarmUp * cost / ((end - warmUp) / 1e9);
        // In flight counts until delivery, so the ring's own delay is inside the bound, not added to it; the floor is
        // admitted whatever the rate, so a slow ring waits as long as the floor takes to drain.
        double floorDrainNs = SendAdmission.DefaultFloorBytes / ringBytesPerSecond * 1e9;
        double allowed = Math.Max(bound, floorDrainNs) + cost / ringBytesPerSecond * 1e9 + (2 * step);
        Assert.True(worstWaitNs <= allowed, $"worst wait {worstWaitNs / 1e6:0.00} ms, allowed {allowed / 1e6:0.00} ms");
        Assert.True(achieved >= 0.9 * ringBytesPerSecond, $"the ring ran at {achieved / 1e6:0.0} of {ringBytesPerSecond / 1e6:0.0} MB/s");
        Assert.True(delivered > 0);
    }

    private static void Deliver(SendAdmission admission, long now, int messages, long cost)
    {
        for (int i = 0; i < messages; i++)
        {
            admission.OnDelivered(now, Length(cost));
        }
    }
}
