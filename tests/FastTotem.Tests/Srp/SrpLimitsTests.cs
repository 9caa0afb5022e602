using FastTotem.Config;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

public class SrpLimitsTests
{
    public static TheoryData<int, int, int> AcceptedConfigs => new()
    {
        { 1500, 50, 17 },
        { SrpLimits.NetMtuMin, 1, 1 },
        { 576, 50, 17 },
        { 8192, 50, 17 },
        { 9000, 50, 17 },
        { 20000, 50, 17 },
        { SrpLimits.NetMtuMax, 50, 17 },
        { 1500, SrpLimits.WindowPlusMessagesMax - 1, 1 },
        { SrpLimits.NetMtuMax, 200, 48 },
        { 1500, 1000, 1000 },
    };

    [Theory]
    [MemberData(nameof(AcceptedConfigs))]
    public void DerivedSizesHoldWhatTheyMustForEveryAcceptedConfig(int netMtu, int window, int maxMessages)
    {
        Assert.Null(SrpLimits.Validate(netMtu, window, maxMessages));
        var limits = new SrpLimits(new SrpConfig { NodeId = 1, NetMtu = netMtu, WindowSize = window, MaxMessages = maxMessages });

        // A transmit buffer holds the largest frame of either kind (the driver sizes its send slots from it).
        Assert.Equal(netMtu, limits.FrameSizeMax);
        Assert.Equal(limits.FrameSizeMax, limits.MaxPayload + WireLimits.NetMtuReduction);
        Assert.Equal(MembCommitTokenCodec.GetEncodedLength(WireLimits.ProcessorCountMax), limits.ControlFrameMax);
        Assert.True(limits.TransmitBufferSize >= limits.FrameSizeMax && limits.TransmitBufferSize >= limits.ControlFrameMax);
        Assert.True(limits.TransmitBufferSize <= SrpLimits.TransmitBufferMax);
        Assert.True(limits.ControlArenaBytes >= SrpLimits.ControlFramesPerCall * limits.ControlFrameMax);

        // The store: a power of two, at least 8 windows and the recovery minimum, never beyond corosync's sort queue,
        // and fcc_rtr_limit keeps room (capacity − window − max_messages > 0).
        Assert.True((limits.StoreCapacity & (limits.StoreCapacity - 1)) == 0);
        Assert.InRange(limits.StoreCapacity, SrpLimits.StoreCapacityMin, SrpLimits.StoreCapacityMax);
        Assert.True(limits.StoreCapacity >= SrpLimits.StoreWindowFactor * (window + maxMessages));
        Assert.True(limits.StoreCapacity - window - maxMessages > 0);

        // The arena: the ring's worst case (2 × run + 3 largest entries) for the whole store wherever that fits the
        // byte cap; at the cap, the operational run shrinks until it fits, and still exceeds what flow control sends
        // in one visit plus the window.
        int entryMax = limits.FrameSizeMax + SrpLimits.StoreEntryPrefix;
        long full = SrpLimits.ArenaEntriesFor(limits.StoreCapacity / 2) * entryMax;
        Assert.Equal(Math.Min(full, SrpLimits.StoreArenaBytesMax), limits.StoreArenaBytes);
        Assert.True(SrpLimits.ArenaEntriesFor(limits.StoreSeqRunMax) * entryMax <= limits.StoreArenaBytes);
        Assert.True(limits.StoreSeqRunMax > window + maxMessages);
        Assert.True(limits.StoreSeqRunMax <= limits.StoreCapacity / 2);
        if (full <= SrpLimits.StoreArenaBytesMax)
        {
            // A RECOVERY fills every slot and releases nothing: the arena holds that and the reserve.
            Assert.Equal(limits.StoreCapacity / 2, limits.StoreSeqRunMax);
            Assert.True((long)limits.StoreCapacity * entryMax + limits.StoreReserveBytes <= limits.StoreArenaBytes);
        }

        Assert.True(limits.StoreArenaBytes >= 4 * entryMax);

        // Queues: every stored seq can be delivered (and its configuration changes) and transmitted in one call.
        Assert.True(limits.EventCapacity >= 2 * limits.StoreCapacity);
        Assert.True(limits.TransmitItems > limits.StoreCapacity);
        Assert.True((long)limits.SendQueueCapacity * limits.MaxPayload <= SrpLimits.SendQueueBytes);
        Assert.True(limits.TransQueueCapacity >= 16);
        Assert.True((long)limits.TransQueueCapacity * limits.MaxPayload <= Math.Max(SrpLimits.TransQueueBytesMax, 256L * limits.MaxPayload));

        // Nothing overflows int, and the largest accepted config pins well under the memory target.
        Assert.True(limits.EngineBytes > 0 && limits.EngineBytes < 96L * 1024 * 1024, $"engine pins {limits.EngineBytes} bytes");
    }

    [Theory]
    [InlineData(SrpLimits.NetMtuMin - 1, 50, 17, "netmtu")]
    [InlineData(SrpLimits.NetMtuMax + 1, 50, 17, "netmtu")]
    [InlineData(1500, 0, 17, "at least 1")]
    [InlineData(1500, 50, 0, "at least 1")]
    [InlineData(1500, SrpLimits.WindowPlusMessagesMax, 1, "window_size + max_messages")]
    [InlineData(1500, 1_000_000, 17, "window_size + max_messages")]
    [InlineData(1500, int.MaxValue, int.MaxValue, "window_size + max_messages")]
    [InlineData(SrpLimits.NetMtuMax, 1000, 17, "lets the ring run only")]
    public void ImpossibleSizesAreRefused(int netMtu, int window, int maxMessages, string messagePart)
    {
        string? error = SrpLimits.Validate(netMtu, window, maxMessages);
        Assert.NotNull(error);
        Assert.Contains(messagePart, error);
        var config = new SrpConfig { NodeId = 1, NetMtu = netMtu, WindowSize = window, MaxMessages = maxMessages };
        Assert.Throws<ArgumentException>(() => new SrpEngine(config, new MemoryRingSeqStore()));
    }

    [Theory]
    [InlineData("\twindow_size: 1000000\n", 3, "window_size + max_messages")]
    [InlineData("\tmax_messages: 2048\n", 3, "window_size + max_messages")]
    [InlineData("\tnetmtu: 65537\n", 3, "netmtu must be a whole number from 576 to 65536")]
    public void ConfigRefusesWhatTheBuffersCannotHoldAndNamesTheLine(string item, int line, string messagePart)
    {
        string text = "totem {\n\ttransport: udpu\n" + item + "}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n";
        CorosyncConfigException e = Assert.Throws<CorosyncConfigException>(() => CorosyncConfig.Parse(text, "test.conf"));
        Assert.Equal(line, e.Line);
        Assert.Contains(messagePart, e.Message);
    }

    [Fact]
    public void ConfigAcceptsTheLargestNetMtuAndTheEngineSizesItsBufferFromIt()
    {
        string text = "totem {\n\ttransport: udpu\n\tnetmtu: 65536\n\twindow_size: 200\n\tmax_messages: 48\n}\n"
            + "nodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n";
        CorosyncConfig config = CorosyncConfig.Parse(text, "test.conf");
        var engine = new SrpEngine(SrpConfigFactory.Create(config, 1), new MemoryRingSeqStore());
        Assert.Equal(65536, engine.TransmitBufferSize);
        Assert.Equal(SrpLimits.StoreCapacityMin, engine.Limits.StoreCapacity);
        Assert.Equal(SrpLimits.StoreArenaBytesMax, engine.Limits.StoreArenaBytes);
        Assert.Equal(254, engine.Limits.StoreSeqRunMax);
    }

    [Theory]
    [InlineData(0, SrpLimits.ControlFramesPerCall)]
    [InlineData(1, 1)]
    [InlineData(2 * 10_793, 2)]
    public void ControlArenaIsDerivedUnlessSetAndAlwaysHoldsTheLargestControlFrame(int configured, int largestFrames)
    {
        var limits = new SrpLimits(new SrpConfig { NodeId = 1, ControlArenaBytes = configured });
        Assert.Equal(10_793, limits.ControlFrameMax);
        Assert.Equal(largestFrames * limits.ControlFrameMax, limits.ControlArenaBytes);
    }

    /// <summary>
    /// The review's crash (C3): netmtu 20000 and a 17 KB message. Each of three nodes delivers it whole, and the
    /// message retransmitted after a loss goes out of the transmit buffer too.
    /// </summary>
    [Fact]
    public void SeventeenKilobyteMessagesTravelAtNetMtu20000IncludingRetransmission()
    {
        var h = new RingHarness(3, (id, list) =>
        {
            return SrpConfig.CorosyncDefaults(id, list, 1000) with { NetMtu = 20000 };
        });
        h.StartAll();
        h.RunFor(Ms(3000));
        Assert.True(h.AllOperationalWith(0, 1, 2));
        Assert.True(h.SlotSize >= 20000);

        byte[] big = new byte[17 * 1024];
        new Random(17).NextBytes(big);
        bool dropped = false;
        h.DropFilter = (from, to, bytes) =>
        {
            if (!dropped && to == 3 && bytes.Length > 17 * 1024)
            {
                dropped = true;
                return true;
            }

            return false;
        };
        Assert.Equal(SendResult.Ok, h.Multicast(0, big));
        Assert.Equal(SendResult.Ok, h.Multicast(1, big.AsSpan(0, 16 * 1024)));
        h.RunFor(Ms(2000));

        Assert.True(dropped);
        Assert.True(h.Engines[0].Counters.McastRetransmitTx + h.Engines[1].Counters.McastRetransmitTx > 0);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(2, h.Delivered[i].Count);
            Assert.Contains(h.Delivered[i], d => d.Sender == 1 && d.Payload.AsSpan().SequenceEqual(big));
        }
    }
}
