using System.Diagnostics;
using System.Text;
using FastTotem.Hosting;
using FastTotem.Native;

namespace FastTotem.Tests.Native;

/// <summary>
/// The C ABI's thread hazards (docs/robustness.md, finding M6) under stress: two threads releasing one lease while the producer
/// reuses its slot, and ft_last_error truncating a non-ASCII message by bytes.
/// </summary>
public unsafe class CAbiRaceTests
{
    /// <summary>
    /// Two threads release the same lease at once, again and again, while the producer writes the next delivery into
    /// the slot the first release frees and the consumer takes it. Exactly one release may win, and the loser must
    /// never end the next delivery's lease (the check-then-CAS window let a late release do that). The slab holds one
    /// record, so the next delivery always lands on the lease's own slot, and the producer keeps trying until a release
    /// frees it (for up to 2 ms), so a late release meets a slot already reused.
    /// </summary>
    [Fact]
    public void TwoRacingReleasesOfOneLeaseEndItOnceAndNeverTheNextOne()
    {
        const int rounds = 20_000;
        byte[] message = new byte[40];
        var q = new DeliveryQueue(DeliveryQueue.RecordHeader + message.Length);
        Assert.Equal(DeliveryQueue.RecordHeader + message.Length, q.Capacity); // one record fills the slab
        using var start = new Barrier(3);
        var results = new DeliveryRelease[2];
        long token = 0;
        int stop = 0;
        var racers = new Thread[2];
        for (int r = 0; r < 2; r++)
        {
            int me = r;
            racers[r] = new Thread(() =>
            {
                while (true)
                {
                    start.SignalAndWait();
                    if (Volatile.Read(ref stop) != 0)
                    {
                        return;
                    }

                    results[me] = q.Release(Volatile.Read(ref token));
                    start.SignalAndWait();
                }
            }) { IsBackground = true };
            racers[r].Start();
        }

        int nextTaken = 0;
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                Assert.Equal(DeliveryWrite.Ok, q.TryWrite(1, 1, message));
                Assert.True(q.TryTake(out DeliveryRecord lease));
                Volatile.Write(ref token, lease.Token);
                start.SignalAndWait();

                // Meanwhile: the next delivery, written into whatever the releases free, and taken.
                DeliveryRecord next = default;
                bool tookNext = false;
                long deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 500);
                while (!tookNext && Stopwatch.GetTimestamp() < deadline)
                {
                    if (q.TryWrite(2, 2, message) == DeliveryWrite.Ok)
                    {
                        tookNext = q.TryTake(out next);
                    }
                }

                start.SignalAndWait();
                int wins = (results[0] == DeliveryRelease.Ok ? 1 : 0) + (results[1] == DeliveryRelease.Ok ? 1 : 0);
                Assert.True(wins == 1, $"round {round}: {results[0]} and {results[1]}");
                Assert.Contains(DeliveryRelease.AlreadyReleased, results);
                if (tookNext)
                {
                    nextTaken++;
                    Assert.Equal(DeliveryRelease.Ok, q.Release(next.Token));
                }
            }
        }
        finally
        {
            // Wherever the racers wait (before a round, or at its end after a failed assertion), two phases let
            // them see the stop flag; the second times out when they are already gone.
            Volatile.Write(ref stop, 1);
            start.SignalAndWait(TimeSpan.FromSeconds(1));
            start.SignalAndWait(TimeSpan.FromSeconds(1));
            foreach (Thread t in racers)
            {
                t.Join(TimeSpan.FromSeconds(5));
            }
        }

        Assert.False(q.HasOutstandingLeases);
        Assert.True(nextTaken > rounds / 2, $"the producer reused a freed slot in only {nextTaken} of {rounds} rounds");
    }

    /// <summary>
    /// A message with two-byte characters into buffers of every size: the copy is a whole-character prefix, always
    /// NUL-terminated, and the size needed is returned (it cut by UTF-16 chars and failed with FT_ERR_INTERNAL).
    /// </summary>
    [Fact]
    public void LastErrorTruncatesANonAsciiMessageAtACharacterBoundary()
    {
        byte[] path = Encoding.UTF8.GetBytes("/nonexistent-fasttotem-test/äöü-ñ-€/corosync.conf\0");
        nint node = 0;
        int rc;
        fixed (byte* p = path)
        {
            rc = ((delegate* unmanaged<byte*, uint, nint*, int>)(&Exports.NodeCreate))(p, 1, &node);
        }

        Assert.True(rc < 0, "a missing config file was accepted");
        int needed = ((delegate* unmanaged<byte*, nuint, int>)(&Exports.LastError))(null, 0);
        byte[] whole = new byte[needed];
        fixed (byte* b = whole)
        {
            Assert.Equal(needed, ((delegate* unmanaged<byte*, nuint, int>)(&Exports.LastError))(b, (nuint)whole.Length));
        }

        string message = Encoding.UTF8.GetString(whole, 0, needed - 1);
        Assert.Contains("äöü-ñ-€", message);
        Assert.True(needed - 1 > message.Length, "the message has no multi-byte character");

        for (int size = 1; size < needed; size++)
        {
            byte[] buffer = new byte[size + 4];
            Array.Fill(buffer, (byte)0xAA);
            int result;
            fixed (byte* b = buffer)
            {
                result = ((delegate* unmanaged<byte*, nuint, int>)(&Exports.LastError))(b, (nuint)size);
            }

            Assert.Equal(needed, result);
            int end = Array.IndexOf(buffer, (byte)0, 0, size);
            Assert.True(end >= 0, $"size {size}: not NUL-terminated inside the buffer");
            Assert.Equal(0xAA, buffer[size]); // nothing written past the buffer
            string prefix = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, end);
            Assert.StartsWith(prefix, message, StringComparison.Ordinal);
            Assert.True(Encoding.UTF8.GetByteCount(message[..(prefix.Length + 1)]) > size - 1,
                $"size {size}: only {end} bytes copied where the next character would have fitted");
        }
    }
}
