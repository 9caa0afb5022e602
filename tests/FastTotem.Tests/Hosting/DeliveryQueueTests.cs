using FastTotem.Hosting;
using FastTotem.Tests.Wire;

namespace FastTotem.Tests.Hosting;

/// <summary>The delivery slab: leases read in place, released in any order, reclaimed only when released.</summary>
public class DeliveryQueueTests
{
    private static byte[] Message(int seq, int length)
    {
        var m = new byte[length];
        BitConverter.TryWriteBytes(m, seq);
        for (int i = 4; i < length; i++)
        {
            m[i] = (byte)(seq + i);
        }

        return m;
    }

    [Fact]
    public void LeasesStayValidUntilReleasedInAnyOrder()
    {
        var q = new DeliveryQueue(1024);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(DeliveryWrite.Ok, q.TryWrite(1, 100, Message(i, 40)));
        }

        var leases = new DeliveryRecord[8];
        for (int i = 0; i < 8; i++)
        {
            Assert.True(q.TryTake(out leases[i]));
            Assert.Equal(i, BitConverter.ToInt32(q.Data(leases[i])));
        }

        Assert.False(q.TryTake(out _));

        // Release all but the first: nothing can be reclaimed past it, so the slab stays full of its 8 records.
        for (int i = 7; i >= 1; i--)
        {
            Assert.Equal(DeliveryRelease.Ok, q.Release(leases[i].Token));
        }

        int fits = 0;
        while (q.TryWrite(2, 200, Message(100 + fits, 40)) == DeliveryWrite.Ok)
        {
            fits++;
        }

        Assert.Equal((1024 - 8 * 64) / 64, fits);
        Assert.Equal(0, BitConverter.ToInt32(q.Data(leases[0]))); // the held lease was not overwritten
        Assert.Equal(Message(0, 40), q.Data(leases[0]).ToArray());

        Assert.Equal(DeliveryRelease.Ok, q.Release(leases[0].Token));
        Assert.Equal(DeliveryWrite.Ok, q.TryWrite(3, 300, Message(999, 40))); // now the head moves over all 8
        Assert.Equal(DeliveryRelease.AlreadyReleased, q.Release(leases[3].Token));
        Assert.Equal(DeliveryRelease.AlreadyReleased, q.Release(leases[0].Token));
    }

    [Fact]
    public void BadTokensAndSizesAreResultsNotCrashes()
    {
        var q = new DeliveryQueue(256);
        Assert.Equal(DeliveryWrite.TooLarge, q.TryWrite(1, 1, new byte[256 - DeliveryQueue.RecordHeader + 1]));
        Assert.Equal(DeliveryWrite.Ok, q.TryWrite(1, 1, new byte[10]));
        Assert.Equal(DeliveryRelease.NotALease, q.Release(0)); // written but not taken
        Assert.True(q.TryTake(out DeliveryRecord r));
        Assert.Equal(DeliveryRelease.NotALease, q.Release(r.Token + 8));
        Assert.Equal(DeliveryRelease.NotALease, q.Release(-8));
        Assert.Equal(DeliveryRelease.NotALease, q.Release(3));
        Assert.Equal(DeliveryRelease.NotALease, q.Release(long.MaxValue - 7));
        Assert.Equal(DeliveryRelease.Ok, q.Release(r.Token));
        Assert.Equal(DeliveryRelease.AlreadyReleased, q.Release(r.Token));
    }

    [Fact]
    public void ProducerAndConsumerThreadsWrapManyTimesLosingNothing()
    {
        int seed = Environment.TickCount & 0xFFFF;
        Console.WriteLine($"DeliveryQueue random test seed {seed}");
        var q = new DeliveryQueue(4096);
        const int count = 200_000;
        var stop = new CancellationTokenSource();
        var producer = new Thread(() =>
        {
            var random = new Random(seed);
            var buffer = new byte[700];
            for (int i = 0; i < count; i++)
            {
                int length = 5 + random.Next(0, 600); // the last byte must not overlap the 4-byte sequence number
                BitConverter.TryWriteBytes(buffer, i);
                buffer[length - 1] = (byte)i;
                while (q.TryWrite((uint)i, 7, buffer.AsSpan(0, length)) == DeliveryWrite.Full)
                {
                    if (stop.IsCancellationRequested)
                    {
                        return;
                    }

                    Thread.Yield();
                }
            }
        }) { IsBackground = true };
        producer.Start();

        // The consumer holds up to 3 leases and releases them in a shuffled order.
        var random = new Random(seed + 1);
        var held = new List<DeliveryRecord>();
        int next = 0;
        string? error = null;
        while (next < count && error == null)
        {
            if (held.Count < 3 && q.TryTake(out DeliveryRecord r))
            {
                ReadOnlySpan<byte> data = q.Data(r);
                if (BitConverter.ToInt32(data) != next || r.NodeId != (uint)next || data[^1] != (byte)next)
                {
                    error = $"delivery {next}: got seq {BitConverter.ToInt32(data)} node {r.NodeId}";
                }

                held.Add(r);
                next++;
            }
            else if (held.Count > 0)
            {
                int k = random.Next(held.Count);
                // Check the held one is intact before giving it back: reclaim never overtakes a live lease.
                DeliveryRecord h = held[k];
                if (BitConverter.ToInt32(q.Data(h)) != (int)h.NodeId)
                {
                    error = $"lease {h.NodeId} was overwritten while held";
                }

                DeliveryRelease released = q.Release(h.Token);
                if (released != DeliveryRelease.Ok)
                {
                    error = $"release of {h.NodeId}: {released}";
                }

                held.RemoveAt(k);
            }
            else
            {
                Thread.Yield();
            }
        }

        stop.Cancel();
        Assert.True(producer.Join(TimeSpan.FromSeconds(30)), "the producer did not finish");
        Assert.Null(error);
        Assert.Equal(count, next);
    }

    [Fact]
    public void WriteTakeAndReleaseAllocateNothing()
    {
        var q = new DeliveryQueue(64 * 1024);
        byte[] m = new byte[100];
        ZeroAllocation.Assert(q, static queue =>
        {
            queue.TryWrite(1, 2, new ReadOnlySpan<byte>(StaticMessage));
            queue.TryTake(out DeliveryRecord r);
            queue.Release(r.Token);
        }, 100_000);
        Assert.Equal(DeliveryWrite.Ok, q.TryWrite(1, 2, m));
    }

    private static readonly byte[] StaticMessage = new byte[100];
}
