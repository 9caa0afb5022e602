using FastTotem.Protocol.Srp;
using Xunit.Abstractions;

namespace FastTotem.Tests.Srp;

public class MessageStoreArenaTests(ITestOutputHelper output)
{
    [Fact]
    public void FramesTakeTheirRealLengthNotASlotOfNetMtu()
    {
        // 64 slots of up to 1,000 bytes, but an arena of only 8 KiB: small frames fit by the hundred.
        var store = new MessageStore(64, 8 * 1024, 1000);
        store.Reset(1);
        for (uint seq = 1; seq <= 60; seq++)
        {
            Assert.True(store.TryAdd(seq, Frame(seq, 50), keepReserve: false), $"seq {seq}");
        }

        for (uint seq = 1; seq <= 60; seq++)
        {
            Assert.Equal(Frame(seq, 50), store.Get(seq).ToArray());
        }

        Assert.Equal(8 * 1024 - 60 * (50 + SrpLimits.StoreEntryPrefix), store.FreeBytes());
    }

    [Fact]
    public void AFullArenaRefusesAndReleasingReclaimsAcrossTheWrap()
    {
        var store = new MessageStore(64, 4 * 1008, 1000);
        store.Reset(1);
        for (uint seq = 1; seq <= 4; seq++)
        {
            Assert.True(store.TryAdd(seq, Frame(seq, 1000), keepReserve: false));
        }

        Assert.False(store.TryAdd(5, Frame(5, 1000), keepReserve: false));
        Assert.False(store.Contains(5));

        // Releasing 1 and 2 frees the start of the ring: 5 and 6 wrap into it while 3 and 4 stay readable.
        store.ReleaseThrough(2);
        Assert.True(store.TryAdd(5, Frame(5, 1000), keepReserve: false));
        Assert.True(store.TryAdd(6, Frame(6, 900), keepReserve: false));
        Assert.False(store.TryAdd(7, Frame(7, 1000), keepReserve: false));
        Assert.Equal(Frame(3, 1000), store.Get(3).ToArray());
        Assert.Equal(Frame(4, 1000), store.Get(4).ToArray());
        Assert.Equal(Frame(5, 1000), store.Get(5).ToArray());
        Assert.Equal(Frame(6, 900), store.Get(6).ToArray());
        Assert.True(store.Get(1).IsEmpty);
    }

    [Fact]
    public void TheReserveKeepsRoomForTheSeqTheAruWaitsFor()
    {
        // An arena of six largest entries: with the reserve (two of them) only four frames may arrive out of order,
        // and the missing seq still fits afterwards.
        var store = new MessageStore(64, 6 * 1008, 1000);
        store.Reset(1);
        int taken = 0;
        for (uint seq = 2; seq <= 10; seq++)
        {
            if (store.TryAdd(seq, Frame(seq, 1000), keepReserve: true))
            {
                taken++;
            }
        }

        Assert.Equal(4, taken);
        Assert.True(store.TryAdd(1, Frame(1, 1000), keepReserve: false));
    }

    [Fact]
    public void TheSendersOwnFrameReplacesOneAPeerSentAheadOfTheToken()
    {
        var store = new MessageStore(16, 8 * 1008, 1000);
        store.Reset(0);
        Assert.True(store.TryAdd(5, Frame(5, 100), keepReserve: false));
        Assert.True(store.TryAllocate(5, 60, keepReserve: true, out Span<byte> frame));
        Frame(77, 60).CopyTo(frame);
        Assert.Equal(Frame(77, 60), store.Get(5).ToArray());
    }

    [Fact]
    public void ResetEmptiesTheArena()
    {
        var store = new MessageStore(16, 4 * 1008, 1000);
        store.Reset(0);
        for (uint seq = 0; seq < 4; seq++)
        {
            Assert.True(store.TryAdd(seq, Frame(seq, 1000), keepReserve: false));
        }

        store.Reset(100);
        Assert.Equal(4 * 1008, store.FreeBytes());
        Assert.True(store.TryAdd(100, Frame(100, 1000), keepReserve: false));
        Assert.False(store.Contains(0));
    }

    /// <summary>
    /// A model check of SrpLimits' arena argument: seqs arrive shuffled, of random sizes, never more than the run
    /// past the last release, and are released in order some time after the aru passes them. An arena of
    /// ArenaEntriesFor(run) largest entries never refuses a frame (with the reserve kept), and every frame reads back
    /// exactly.
    /// </summary>
    [Fact]
    public void RandomArrivalsReadBackExactlyAndTheAruNeverStalls()
    {
        int seed = Environment.GetEnvironmentVariable("FASTTOTEM_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (FASTTOTEM_SEED={seed} to replay)");
        var random = new Random(seed);
        const int frameMax = 1500;
        const int run = 40;
        var store = new MessageStore(256, (int)SrpLimits.ArenaEntriesFor(run) * (frameMax + SrpLimits.StoreEntryPrefix), frameMax);
        store.Reset(1);
        var sizes = new Dictionary<uint, int>();
        uint aru = 0;
        uint released = 0;
        uint next = 1;
        var pending = new List<uint>();
        for (int step = 0; step < 20_000; step++)
        {
            while (next <= released + run)
            {
                pending.Add(next++);
            }

            if (pending.Count > 0)
            {
                int pick = random.Next(pending.Count);
                uint seq = pending[pick];
                int size = 45 + random.Next(frameMax - 44);
                Assert.True(store.TryAdd(seq, Frame(seq, size), keepReserve: seq != aru + 1), $"seed {seed}: seq {seq} refused at step {step}");
                sizes[seq] = size;
                pending.RemoveAt(pick);
            }

            while (store.Contains(aru + 1))
            {
                aru++;
            }

            // The ring releases what everyone has, some visits later.
            if ((random.Next(4) == 0 || pending.Count == 0) && aru != released)
            {
                uint to = released + 1 + (uint)random.Next((int)(aru - released));
                for (uint q = released + 1; q <= to; q++)
                {
                    Assert.Equal(Frame(q, sizes[q]), store.Get(q).ToArray());
                    sizes.Remove(q);
                }

                store.ReleaseThrough(to);
                released = to;
            }
        }

        Assert.True(aru > 10_000, $"seed {seed}: only {aru} seqs passed");
    }

    private static byte[] Frame(uint seq, int length)
    {
        byte[] frame = new byte[length];
        for (int i = 0; i < length; i++)
        {
            frame[i] = (byte)(seq * 31 + (uint)i);
        }

        return frame;
    }
}
