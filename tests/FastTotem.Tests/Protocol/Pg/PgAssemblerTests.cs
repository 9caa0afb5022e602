using FastTotem.Protocol.Pg;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Pg;

public class PgAssemblerTests
{
    private sealed class Collector : IPgMessageSink
    {
        public List<byte[]> Messages { get; } = new();

        public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian) => Messages.Add(message.ToArray());
    }

    private static byte[] Packet(byte fragmented, byte continuation, params byte[][] entries)
    {
        ushort[] lens = entries.Select(e => (ushort)e.Length).ToArray();
        byte[] data = entries.SelectMany(e => e).ToArray();
        byte[] p = new byte[PgPacket.EncodedLength(lens.Length, data.Length)];
        Assert.Equal(WireError.None, PgPacket.TryWrite(p, fragmented, continuation, lens, data, out _));
        return p;
    }

    private static byte[] B(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    [Fact]
    public void PackedAndFragmentedEntriesReassemble()
    {
        var a = new PgAssembler(4);
        var c = new Collector();
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(1, 0, B(3, 1), B(4, 2), B(5, 3)), false, c));
        Assert.Equal(2, c.Messages.Count);
        Assert.Equal(5, a.BufferedBytes(1));
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(2, 1, B(6, 3)), false, c));
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(0, 2, B(7, 3), B(2, 9)), false, c));
        Assert.Equal(4, c.Messages.Count);
        Assert.Equal(B(18, 3), c.Messages[2]);
        Assert.Equal(B(2, 9), c.Messages[3]);
        Assert.Equal(0, a.BufferedBytes(1));
        Assert.Equal(0, a.SlotsInUse);
    }

    [Fact]
    public void SendersAreAssembledSeparately()
    {
        var a = new PgAssembler(4);
        var c = new Collector();
        a.HandlePacket(1, Packet(1, 0, B(3, 1)), false, c);
        a.HandlePacket(2, Packet(1, 0, B(3, 2)), false, c);
        a.HandlePacket(2, Packet(0, 1, B(1, 2)), false, c);
        a.HandlePacket(1, Packet(0, 1, B(1, 1)), false, c);
        Assert.Equal([B(4, 2), B(4, 1)], c.Messages);
    }

    [Fact]
    public void MidMessageStartIsThrownAwayUntilTheMessageEnds()
    {
        var a = new PgAssembler(4);
        var c = new Collector();
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(1, Packet(5, 4, B(10, 1)), false, c));
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(1, Packet(6, 5, B(10, 1)), false, c));
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(1, Packet(0, 6, B(10, 1), B(3, 2)), false, c));
        Assert.Empty(c.Messages);
        Assert.Equal(3, a.ThrownAwayPackets);

        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(0, 0, B(3, 3)), false, c));
        Assert.Equal([B(3, 3)], c.Messages);
    }

    [Fact]
    public void ThrowAwayQuirkTheEndingPacketDeliversNothing()
    {
        var a = new PgAssembler(4);
        var c = new Collector();
        a.HandlePacket(1, Packet(3, 2, B(10, 1)), false, c);

        // Two small whole messages and the start of a new fragmented one: throw-away ends here, yet corosync
        // delivers none of these entries, and its stale fragment number makes the continuation mismatch again.
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(1, Packet(1, 0, B(2, 5), B(2, 6), B(8, 7)), false, c));
        Assert.Empty(c.Messages);
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(1, Packet(0, 1, B(8, 7)), false, c));
        Assert.Empty(c.Messages);

        // The message ended (fragmented 0): the sender starts clean.
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(0, 0, B(1, 8)), false, c));
        Assert.Equal([B(1, 8)], c.Messages);
    }

    [Fact]
    public void ThrowAwayEndedByAnUnfragmentedPacketAlsoDeliversNothing()
    {
        var a = new PgAssembler(4);
        var c = new Collector();
        a.HandlePacket(1, Packet(2, 1, B(10, 1)), false, c);
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(1, Packet(0, 0, B(2, 5)), false, c));
        Assert.Empty(c.Messages);
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(0, 0, B(2, 6)), false, c));
        Assert.Equal([B(2, 6)], c.Messages);
    }

    [Fact]
    public void ConfigurationChangeDropsPartialMessagesOfLeftNodes()
    {
        var a = new PgAssembler(4);
        var c = new Collector();
        a.HandlePacket(2, Packet(1, 0, B(100, 1)), false, c);
        a.HandlePacket(3, Packet(1, 0, B(100, 2)), false, c);
        a.HandleConfigurationChange([2]);
        Assert.Equal(0, a.BufferedBytes(2));
        Assert.Equal(100, a.BufferedBytes(3));

        // The rest of node 2's message no longer continues anything.
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(2, Packet(0, 1, B(5, 1)), false, c));
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(3, Packet(0, 1, B(5, 2)), false, c));
        Assert.Equal([B(105, 2)], c.Messages);
    }

    [Fact]
    public void TransitionalSetKeepsOldRingAssembliesApart()
    {
        var a = new PgAssembler(4);
        var c = new Collector();
        a.HandlePacket(1, Packet(1, 0, B(10, 1)), false, c);
        a.Phase.RegularConfigurationDelivered();
        Assert.Equal(0, a.BufferedBytes(1));
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(0, 0, B(3, 2)), false, c));
        a.Phase.TransAck(ringIsCurrent: true);
        Assert.Equal(10, a.BufferedBytes(1));
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(0, 1, B(3, 1)), false, c));
        Assert.Equal([B(3, 2), B(13, 1)], c.Messages);
    }

    [Fact]
    public void MessageOverTheReassemblyLimitIsACountedDrop()
    {
        var a = new PgAssembler(2);
        var c = new Collector();
        byte[] chunk = B(1400, 4);
        byte fragment = 1;
        byte continuation = 0;
        PgReceiveResult last = PgReceiveResult.Accepted;
        int packets = (PgAssembler.AssemblyCapacity / 1400) + 2;
        for (int i = 0; i < packets; i++)
        {
            last = a.HandlePacket(9, Packet(fragment, continuation, chunk), false, c);
            if (last == PgReceiveResult.Oversize)
            {
                break;
            }

            continuation = fragment;
            fragment = fragment == 255 ? (byte)1 : (byte)(fragment + 1);
        }

        Assert.Equal(PgReceiveResult.Oversize, last);
        Assert.Equal(1, a.OversizeDrops);
        Assert.Empty(c.Messages);

        // The rest of the oversize message is thrown away; the sender's next message is delivered.
        Assert.Equal(PgReceiveResult.ThrownAway, a.HandlePacket(9, Packet(0, fragment, chunk), false, c));
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(9, Packet(0, 0, B(4, 4)), false, c));
        Assert.Equal([B(4, 4)], c.Messages);
    }

    [Fact]
    public void MalformedPayloadsAndTooManySendersAreCountedDrops()
    {
        var a = new PgAssembler(1);
        var c = new Collector();
        byte[] bad = Packet(0, 0, B(4, 1));
        Assert.Equal(PgReceiveResult.Malformed, a.HandlePacket(1, bad.AsSpan(0, bad.Length - 1), false, c));
        Assert.Equal(1, a.MalformedDrops);

        a.HandlePacket(1, Packet(1, 0, B(4, 1)), false, c);
        a.HandlePacket(2, Packet(1, 0, B(4, 1)), false, c);
        Assert.Equal(PgReceiveResult.NoSlot, a.HandlePacket(3, Packet(1, 0, B(4, 1)), false, c));
        Assert.Equal(1, a.NoSlotDrops);
    }

    [Fact]
    public void ForeignEndianLengthsAreSwapped()
    {
        var a = new PgAssembler(1);
        var c = new Collector();
        byte[] p = Packet(0, 0, B(3, 1), B(2, 2));
        byte[] twin = (byte[])p.Clone();
        twin.AsSpan(6, 2).Reverse();
        twin.AsSpan(8, 2).Reverse();
        twin.AsSpan(10, 2).Reverse();
        Assert.Equal(PgReceiveResult.Malformed, a.HandlePacket(1, twin, false, c));
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, twin, true, c));
        Assert.Equal([B(3, 1), B(2, 2)], c.Messages);
    }

    /// <summary>
    /// docs/robustness.md, finding D2: forged mcasts from fake nodeids, each opening a fragment chain, pinned every slot, then every
    /// real payload was dropped until restart. Once a regular configuration is known only its members get slots; a
    /// chain of a node outside the new configuration is expired.
    /// </summary>
    [Fact]
    public void FakeSendersCannotPinSlotsAndNonMembersChainsExpire()
    {
        var a = new PgAssembler(3);
        var c = new Collector();
        a.HandleRegularConfiguration([1, 2, 3]);
        for (uint fake = 1000; fake < 1006; fake++)
        {
            Assert.Equal(PgReceiveResult.NotMember, a.HandlePacket(fake, Packet(1, 0, B(4, 7)), false, c));
        }

        Assert.Equal(6, a.NotMemberDrops);
        Assert.Equal(0, a.SlotsInUse);
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(1, Packet(0, 0, B(3, 1)), false, c));
        Assert.Single(c.Messages);

        // Node 2 dies halfway through a message; the next regular configuration lacks it, so its slot comes back.
        Assert.Equal(PgReceiveResult.Accepted, a.HandlePacket(2, Packet(1, 0, B(4, 2)), false, c));
        Assert.Equal(1, a.SlotsInUse);
        a.HandleRegularConfiguration([1, 3]);
        Assert.Equal(0, a.SlotsInUse);
        Assert.Equal(PgReceiveResult.NotMember, a.HandlePacket(2, Packet(0, 0, B(3, 1)), false, c));
    }
}
