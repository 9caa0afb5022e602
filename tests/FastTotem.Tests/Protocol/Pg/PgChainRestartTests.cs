using FastTotem.Protocol.Pg;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Pg;

/// <summary>
/// Restarting a fragmented chain at a ring change (<see cref="PgPacker.RestartChain"/>, as NodeStack does it for new
/// members): an old member and the sender itself (both halfway through the message) and members that join with fresh
/// assemblies all deliver every message whole and once, from the message the sender was in the middle of on; the
/// assembler is totempg_deliver_fn's decisions, so this is what a corosync receiver does too.
/// </summary>
public class PgChainRestartTests
{
    private const uint Sender = 1;

    private sealed class Collector : IPgMessageSink
    {
        public List<byte[]> Messages { get; } = new();

        public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian) => Messages.Add(message.ToArray());
    }

    private sealed class Receiver(int joinedAt)
    {
        public PgAssembler Assembler { get; } = new(4);

        public Collector Delivered { get; } = new();

        /// <summary>How many of the sender's messages were complete when this receiver joined.</summary>
        public int JoinedAt { get; } = joinedAt;
    }

    [Fact]
    public void JoinersOldMembersAndTheSenderDeliverEveryMessageWholeOnce()
    {
        // FASTTOTEM_SEED replays a failed run.
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FASTTOTEM_SEED"), out int fixedSeed) ? fixedSeed : Environment.TickCount;
        Console.WriteLine($"JoinersOldMembersAndTheSenderDeliverEveryMessageWholeOnce seed={seed}");
        Run(seed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FixedSeeds(int seed) => Run(seed);

    [Fact]
    public void WithoutARestartAJoinerLosesTheMessageItJoinedIn()
    {
        // The case the restart exists for: the joiner meets a continuation in a fresh assembly and throws it away.
        var packer = new PgPacker(netMtu: 200);
        var old = new Receiver(0);
        byte[] message = Message(new Random(7), 1000);
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, message));
        byte[] buffer = new byte[packer.PacketSizeMax];
        Assert.True(packer.TryTakePacket(buffer, out int length));
        old.Assembler.HandlePacket(Sender, buffer.AsSpan(0, length), false, old.Delivered);
        var joiner = new Receiver(0);
        while (packer.TryTakePacket(buffer, out length))
        {
            old.Assembler.HandlePacket(Sender, buffer.AsSpan(0, length), false, old.Delivered);
            joiner.Assembler.HandlePacket(Sender, buffer.AsSpan(0, length), false, joiner.Delivered);
        }

        Assert.Single(old.Delivered.Messages);
        Assert.Empty(joiner.Delivered.Messages);
        Assert.Equal(1, joiner.Assembler.FreshSlotMismatches);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(254)]
    [InlineData(255)]
    public void TheChainBreakContinuesNothingAReceiverExpects(byte continuation)
    {
        var packer = new PgPacker(netMtu: 200);
        packer.RestartChain(new byte[500], continuation);
        Assert.True(packer.NextIsChainBreak);
        byte broken = packer.NextContinuation;
        Assert.NotEqual(0, broken);
        Assert.NotEqual(continuation, broken);
        Assert.True(packer.DropPacket());
        Assert.False(packer.NextIsChainBreak);
        Assert.Equal(0, packer.NextContinuation); // the beginning again, as a fresh chain
        int payloads = 0;
        while (!packer.PeekPacket().IsEmpty)
        {
            Assert.Equal(WireError.None, PgPacket.TryParse(packer.PeekPacket(), false, out PgPacketView view));
            Assert.Equal(continuation, view.Fragmented);
            Assert.Equal(payloads == 0 ? 0 : continuation, view.Continuation);
            packer.DropPacket();
            payloads++;
        }

        Assert.Equal(3, payloads); // 500 B in chunks of 200 - 8 - 2
        Assert.Equal(1, packer.ChainRestarts);
    }

    private static void Run(int seed)
    {
        var random = new Random(seed);
        var packer = new PgPacker(netMtu: 100 + random.Next(400), queueCapacity: 64);
        var self = new Receiver(0);
        var receivers = new List<Receiver> { self, new(0) };
        var sent = new List<byte[]>();
        var engine = new Queue<byte[]>(); // the engine's regular queue: payloads taken from the packer, not yet sent
        byte[] buffer = new byte[packer.PacketSizeMax];
        int restarts = 0;

        void SendOne()
        {
            byte[] payload = engine.Count > 0 ? engine.Dequeue() : Take();
            foreach (Receiver r in receivers)
            {
                PgReceiveResult result = r.Assembler.HandlePacket(Sender, payload, false, r.Delivered);
                Assert.NotEqual(PgReceiveResult.Malformed, result);
            }
        }

        byte[] Take()
        {
            Assert.True(packer.TryTakePacket(buffer, out int length));
            return buffer.AsSpan(0, length).ToArray();
        }

        void RingChangeWithJoiner()
        {
            // NodeStack.RestartChainForNewMembers: the engine's unsent payloads back in front, newest first.
            foreach (byte[] payload in engine.Reverse())
            {
                packer.PushFront(payload);
            }

            engine.Clear();
            byte continuation = packer.NextContinuation;
            if (continuation != 0 && !packer.NextIsChainBreak)
            {
                Assert.True(self.Assembler.TryGetRegularPartial(Sender, out ReadOnlySpan<byte> beginning, out byte last), $"seed {seed}: no partial of our own");
                Assert.Equal(continuation, last);
                packer.RestartChain(beginning, continuation);
                restarts++;
            }

            // Everything the old members delivered is what the joiner never gets; the rest it must.
            receivers.Add(new Receiver(receivers[1].Delivered.Messages.Count));
        }

        for (int step = 0; step < 4000; step++)
        {
            int action = random.Next(100);
            if (action < 30)
            {
                byte[] message = Message(random, random.Next(4) == 0 ? random.Next(1000, 6000) : random.Next(1, 300));
                if (packer.TrySend(PgGroupSet.Services, message) == SendResult.Ok)
                {
                    sent.Add(message);
                }
            }
            else if (action < 35)
            {
                packer.HandleTokenReceived();
            }
            else if (action < 50)
            {
                if (packer.QueuedPackets > 0 && engine.Count < 8)
                {
                    engine.Enqueue(Take());
                }
            }
            else if (action < 98)
            {
                if (engine.Count > 0 || packer.QueuedPackets > 0)
                {
                    SendOne();
                }
            }
            else if (receivers.Count < 40)
            {
                RingChangeWithJoiner();
            }
        }

        packer.HandleTokenReceived();
        while (engine.Count > 0 || packer.QueuedPackets > 0)
        {
            SendOne();
        }

        Assert.True(restarts > 0, $"seed {seed}: no ring change caught a chain halfway");
        foreach (Receiver r in receivers)
        {
            List<byte[]> expected = sent.GetRange(r.JoinedAt, sent.Count - r.JoinedAt);
            Assert.True(expected.Count == r.Delivered.Messages.Count,
                $"seed {seed}: a receiver that joined after {r.JoinedAt} messages delivered {r.Delivered.Messages.Count}, expected {expected.Count}");
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].AsSpan().SequenceEqual(r.Delivered.Messages[i].AsSpan(r.Delivered.Messages[i].Length - expected[i].Length)),
                    $"seed {seed}: message {r.JoinedAt + i} differs at a receiver that joined after {r.JoinedAt}");
                Assert.Equal(expected[i].Length + GroupHeaderLength, r.Delivered.Messages[i].Length);
            }
        }
    }

    // The group header of "a": the group count and one length, then the name.
    private const int GroupHeaderLength = 2 + 2 + 1;

    private static byte[] Message(Random random, int size)
    {
        byte[] data = new byte[size];
        random.NextBytes(data);
        return data;
    }
}
