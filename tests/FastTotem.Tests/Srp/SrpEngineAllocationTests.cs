using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

public class SrpEngineAllocationTests
{
    private static readonly byte[] Payload = new byte[64];
    private static long _delivered;

    private static void CountDelivery(int node, in NodeEvent ev)
    {
        if (ev.Kind == NodeEventKind.Deliver && node == 2 && ev.Payload.Length == 64)
        {
            _delivered++;
        }
    }

    /// <summary>
    /// 100,000 messages of 64 bytes multicast by three nodes, ordered and delivered on a 3-node ring in the
    /// operational state: the engines (and the harness around them) allocate nothing.
    /// </summary>
    [Fact]
    public void OrderingAndDeliveringAllocatesNothing()
    {
        RingHarness h = SrpEngineOrderingTests.FormedRing(3);
        h.RecordDeliveries = false;
        h.OnDeliver = CountDelivery;

        Pump(h, 20_000);
        Assert.True(h.Engines[0].State == SrpState.Operational);

        long before = GC.GetAllocatedBytesForCurrentThread();
        long deliveredBefore = _delivered;
        Pump(h, 100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(_delivered - deliveredBefore >= 100_000);
        Assert.True(h.AllOperationalWith(0, 1, 2));
        Assert.Equal(0, allocated);
    }

    private static void Pump(RingHarness h, long count)
    {
        long target = _delivered + count;
        while (_delivered < target)
        {
            for (int n = 0; n < 3; n++)
            {
                while (h.Engines[n].SendQueueCount < 64)
                {
                    h.Engines[n].TryMulticast(Payload);
                }
            }

            h.RunFor(Ms(1));
        }
    }
}
