using FastTotem.Protocol.Pg;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Pg;

public class PgPackerTests
{
    private sealed class Collector : IPgMessageSink
    {
        public List<(uint Node, byte[] Message)> Messages { get; } = new();

        public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian) => Messages.Add((nodeId, message.ToArray()));
    }

    [Fact]
    public void FullQueueReturnsTryAgainAndChangesNothing()
    {
        var packer = new PgPacker(queueCapacity: 3);
        byte[] buffer = new byte[packer.PacketSizeMax];

        // A 2000-byte message needs two payloads and leaves at once.
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, new byte[2000]));
        Assert.Equal(2, packer.QueuedPackets);

        // 3000 bytes need three: refused for now, with no side effect.
        Assert.Equal(SendResult.TryAgain, packer.TrySend(PgGroupSet.Services, new byte[3000]));
        Assert.Equal(2, packer.QueuedPackets);
        Assert.Equal(0, packer.PackedMessages);

        // Fill the last slot; a small message is still buffered, but its flush waits while the queue is full.
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, new byte[1393]));
        Assert.Equal(3, packer.QueuedPackets);
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, new byte[10]));
        packer.HandleTokenReceived();
        Assert.Equal(1, packer.PackedMessages);
        Assert.Equal(3, packer.QueuedPackets);
        Assert.Equal(SendResult.TryAgain, packer.TrySend(PgGroupSet.Services, new byte[1500]));
        Assert.Equal(1, packer.PackedMessages);

        // Once a slot frees, the next token visit flushes the buffered message.
        Assert.True(packer.TryTakePacket(buffer, out _));
        packer.HandleTokenReceived();
        Assert.Equal(0, packer.PackedMessages);
        Assert.Equal(3, packer.QueuedPackets);

        Assert.Equal(SendResult.TooLarge, packer.TrySend(PgGroupSet.Services, new byte[PgPacker.MessageSizeMax + 1]));

        // A message needing more payloads than the whole queue holds can never go: TooLarge, not TryAgain.
        Assert.Equal(SendResult.TooLarge, packer.TrySend(PgGroupSet.Services, new byte[5000]));
        Assert.Equal(3, packer.QueuedPackets);
        while (packer.TryTakePacket(buffer, out _))
        {
        }

        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, new byte[3000]));
    }

    [Fact]
    public void FragmentCounterWraps255To1AndChainsContinuations()
    {
        var packer = new PgPacker();
        byte[] data = new byte[400 * 1400];
        new Random(1).NextBytes(data);
        Assert.Equal(SendResult.Ok, packer.TrySend(PgGroupSet.Services, data));
        byte[] buffer = new byte[packer.PacketSizeMax];
        var fragmented = new List<int>();
        var continuation = new List<int>();
        var assembler = new PgAssembler(2);
        var sink = new Collector();
        while (packer.TryTakePacket(buffer, out int length))
        {
            Assert.True(length <= 1410);
            PgPacket.TryParse(buffer.AsSpan(0, length), false, out PgPacketView v);
            fragmented.Add(v.Fragmented);
            continuation.Add(v.Continuation);
            Assert.Equal(PgReceiveResult.Accepted, assembler.HandlePacket(7, buffer.AsSpan(0, length), false, sink));
        }

        Assert.Equal(1, fragmented[0]);
        Assert.Equal(0, continuation[0]);
        Assert.Equal(255, fragmented[254]);
        Assert.Equal(1, fragmented[255]);
        Assert.Equal(255, continuation[255]);
        Assert.Equal(0, fragmented[^1]);
        Assert.DoesNotContain(0, fragmented.Take(fragmented.Count - 1));
        for (int i = 1; i < fragmented.Count; i++)
        {
            Assert.Equal(fragmented[i - 1], continuation[i]);
        }

        (uint node, byte[] message) = Assert.Single(sink.Messages);
        Assert.Equal(7u, node);
        Assert.True(message.AsSpan(5).SequenceEqual(data));
    }

    [Fact]
    public void SmallMessagesPackUntilTheTokenAndRoomShrinksWithEachEntry()
    {
        var packer = new PgPacker();
        for (int i = 0; i < 3; i++)
        {
            packer.TrySend(PgGroupSet.Services, new byte[] { (byte)i, 1, 2 });
        }

        Assert.Equal(0, packer.QueuedPackets);
        Assert.Equal(3, packer.PackedMessages);
        packer.HandleTokenReceived();
        byte[] buffer = new byte[1410];
        Assert.True(packer.TryTakePacket(buffer, out int length));
        PgPacket.TryParse(buffer.AsSpan(0, length), false, out PgPacketView v);
        Assert.Equal(3, v.Count);
        Assert.Equal(8 + 6 + 24, length);

        // A message that would leave no room for the length field of the next one fragments instead.
        packer.TrySend(PgGroupSet.Services, new byte[1390]);
        Assert.Equal(0, packer.QueuedPackets);
        packer.TrySend(PgGroupSet.Services, new byte[10]);
        Assert.Equal(1, packer.QueuedPackets);
        Assert.True(packer.TryTakePacket(buffer, out length));
        PgPacket.TryParse(buffer.AsSpan(0, length), false, out v);
        Assert.Equal(2, v.Count);
        Assert.NotEqual(0, v.Fragmented);
        Assert.Equal(1410, length);
    }

    [Fact]
    public void FitTestKeepsRoomForOneMoreLengthField()
    {
        // 5-byte group header + 1392 bytes < 1400 - 2: buffered for packing.
        var packer = new PgPacker();
        packer.TrySend(PgGroupSet.Services, new byte[1392]);
        Assert.Equal((0, 1), (packer.QueuedPackets, packer.PackedMessages));

        // 5 + 1393 = 1398 does not "fit": corosync sends it at once, whole and unfragmented.
        packer = new PgPacker();
        packer.TrySend(PgGroupSet.Services, new byte[1393]);
        Assert.Equal((1, 0), (packer.QueuedPackets, packer.PackedMessages));
        byte[] buffer = new byte[1410];
        packer.TryTakePacket(buffer, out int length);
        PgPacket.TryParse(buffer.AsSpan(0, length), false, out PgPacketView v);
        Assert.Equal((0, 0, 1, 1398), ((int)v.Fragmented, (int)v.Continuation, v.Count, v.LengthAt(0)));
    }

    [Fact]
    public void MultiGroupHeaderIsLaidOutAsCorosyncDoes()
    {
        var groups = PgGroupSet.FromStrings("a", "sync");
        Assert.Equal(HexBytes("0200 0100 0400 61 73796e63"), groups.HeaderBytes.ToArray());
        var packer = new PgPacker();
        packer.TrySend(groups, "xyz"u8);
        packer.HandleTokenReceived();
        byte[] buffer = new byte[1410];
        packer.TryTakePacket(buffer, out int length);
        Assert.Equal(HexBytes("00000000 0000 0100 0e00 0200 0100 0400 61 73796e63 78797a"), buffer.AsSpan(0, length).ToArray());
    }

    private static byte[] HexBytes(string s) => Wire.HexBytes.Parse(s);
}
