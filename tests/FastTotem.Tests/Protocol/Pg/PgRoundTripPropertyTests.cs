using FastTotem.Protocol.Pg;

namespace FastTotem.Tests.Protocol.Pg;

/// <summary>
/// Seeded random sends (sizes, piece splits, groups), random token visits and a small queue: whatever the packer
/// emits, the assembler gives back exactly the sent messages, in order, with their group headers; groups deliver
/// only what the local instance joined.
/// </summary>
public class PgRoundTripPropertyTests
{
    private sealed class Collector : IPgMessageSink
    {
        public List<byte[]> Messages { get; } = new();

        public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian) => Messages.Add(message.ToArray());
    }

    [Fact]
    public void RandomSendsReassembleExactly()
    {
        // FASTTOTEM_SEED replays a failed run.
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FASTTOTEM_SEED"), out int fixedSeed) ? fixedSeed : Environment.TickCount;
        Console.WriteLine($"RandomSendsReassembleExactly seed={seed}");
        Run(seed);
    }

    internal static void Run(int seed)
    {
        var random = new Random(seed);
        PgGroupSet[] sets = [PgGroupSet.Services, PgGroupSet.Sync, PgGroupSet.FromStrings("a", "sync"), PgGroupSet.FromStrings("x", "", "longer-group")];
        var packer = new PgPacker(queueCapacity: 12);
        var assembler = new PgAssembler(2);
        var collector = new Collector();
        var expected = new List<byte[]>();
        byte[] buffer = new byte[packer.PacketSizeMax];
        int tryAgain = 0;

        void Drain(int max)
        {
            for (int k = 0; k < max && packer.TryTakePacket(buffer, out int length); k++)
            {
                Assert.True(length <= packer.PacketSizeMax);
                Assert.Equal(PgReceiveResult.Accepted, assembler.HandlePacket(3, buffer.AsSpan(0, length), false, collector));
            }
        }

        for (int i = 0; i < 3000; i++)
        {
            int size = random.Next(10) switch
            {
                < 6 => random.Next(0, 200),
                < 9 => random.Next(1000, 1500),
                _ => random.Next(2000, 9000),
            };
            byte[] data = new byte[size];
            random.NextBytes(data);
            int cut1 = random.Next(size + 1);
            int cut2 = random.Next(cut1, size + 1);
            PgGroupSet groups = sets[random.Next(sets.Length)];

            SendResult result = packer.TrySend(groups, data.AsSpan(0, cut1), data.AsSpan(cut1, cut2 - cut1), data.AsSpan(cut2));
            for (int retry = 0; result == SendResult.TryAgain; retry++)
            {
                Assert.True(retry < 100, $"send {i} never fits (seed {seed})");
                tryAgain++;
                packer.HandleTokenReceived();
                Drain(random.Next(1, 4));
                result = packer.TrySend(groups, data.AsSpan(0, cut1), data.AsSpan(cut1, cut2 - cut1), data.AsSpan(cut2));
            }

            Assert.Equal(SendResult.Ok, result);
            expected.Add([.. groups.HeaderBytes.ToArray(), .. data]);

            if (random.Next(3) == 0)
            {
                packer.HandleTokenReceived();
            }

            if (random.Next(2) == 0)
            {
                Drain(random.Next(0, 6));
            }
        }

        // A full queue makes the token visit keep the packed messages (as corosync's does): empty it first.
        Drain(int.MaxValue);
        packer.HandleTokenReceived();
        Drain(int.MaxValue);
        Assert.False(packer.HasPendingData);
        Assert.Equal(expected.Count, collector.Messages.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(collector.Messages[i]), $"message {i} differs (seed {seed})");
        }

        Assert.True(tryAgain > 0, "the small queue should have pushed back at least once");
        Assert.Equal(0, assembler.MalformedDrops + assembler.ThrownAwayPackets + assembler.OversizeDrops);
    }
}
