using FastTotem.Hosting;

namespace FastTotem.Tests.Transport;

public class HostSubmitQueueTests
{
    [Fact]
    public void FourProducersLoseAndDuplicateNothing()
    {
        var q = new HostSubmitQueue(64, 16);
        const int perProducer = 10_000;
        var seen = new int[4];
        var producers = new Thread[4];
        for (int p = 0; p < 4; p++)
        {
            int id = p;
            producers[p] = new Thread(() =>
            {
                Span<byte> m = stackalloc byte[8];
                for (int i = 0; i < perProducer; i++)
                {
                    BitConverter.TryWriteBytes(m[..4], id);
                    BitConverter.TryWriteBytes(m[4..], i);
                    while (!q.TryEnqueue(m))
                    {
                        Thread.Yield();
                    }
                }
            });
            producers[p].Start();
        }

        int received = 0;
        var next = new int[4];
        while (received < 4 * perProducer)
        {
            if (q.TryPeek(out ReadOnlySpan<byte> m))
            {
                int id = BitConverter.ToInt32(m[..4]);
                int i = BitConverter.ToInt32(m[4..8]);
                Assert.Equal(next[id], i); // per-producer FIFO, nothing lost or repeated
                next[id]++;
                seen[id]++;
                q.Dequeue();
                received++;
            }
            else
            {
                Thread.Yield();
            }
        }

        foreach (Thread t in producers)
        {
            t.Join();
        }

        Assert.All(seen, n => Assert.Equal(perProducer, n));
        Assert.False(q.TryPeek(out _));
    }

    [Fact]
    public void FullQueueAndOversizeMessagesAreRefused()
    {
        var q = new HostSubmitQueue(4, 8);
        Assert.False(q.TryEnqueue(new byte[9]));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(q.TryEnqueue(new byte[] { (byte)i }));
        }

        Assert.False(q.TryEnqueue(new byte[] { 9 }));
        Assert.True(q.TryPeek(out ReadOnlySpan<byte> first));
        Assert.Equal(0, first[0]);
        q.Dequeue();
        Assert.True(q.TryEnqueue(new byte[] { 4 }));
    }

    [Fact]
    public void EnqueueAndDequeueAllocateNothing()
    {
        var q = new HostSubmitQueue(256, 64);
        byte[] m = new byte[48];
        for (int i = 0; i < 1000; i++)
        {
            q.TryEnqueue(m);
            q.TryPeek(out _);
            q.Dequeue();
        }

        // One of three windows must be exactly zero (stray runtime bytes under a loaded parallel run show in one
        // window at most; a real per-operation allocation shows in all of them).
        long allocated = 0;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100_000; i++)
            {
                q.TryEnqueue(m);
                q.TryPeek(out _);
                q.Dequeue();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                break;
            }
        }

        Assert.Equal(0, allocated);
    }
}
