using System.Buffers.Binary;
using FastTotem.Config;
using FastTotem.Protocol.Knet;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Wire.Knet;
using Xunit.Abstractions;

namespace FastTotem.Tests.Protocol.Knet;

public class KnetMachineTests
{
    private const long Ms = KnetTestNet.Ms;
    private readonly ITestOutputHelper _out;

    public KnetMachineTests(ITestOutputHelper output) => _out = output;

    /// <summary>The real knet crypto (aes256 + sha256, as pcs configures it) with a 256-byte key made from <paramref name="keySeed"/>.</summary>
    private static IKnetCrypto Aes256Sha256(byte keySeed)
    {
        var key = new byte[256];
        new Random(keySeed).NextBytes(key);
        return new KnetCryptoSealer(new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, key));
    }

    private static int Seed()
    {
        string? env = Environment.GetEnvironmentVariable("FASTTOTEM_SEED");
        return env != null ? int.Parse(env) : Random.Shared.Next(1, int.MaxValue);
    }

    [Fact]
    public void LinkComesUpOnTheThirdPongAndNotBefore()
    {
        var net = new KnetTestNet(2);
        var events = new List<KnetEvent>();

        // PINGs every 800 ms (750 rounded up to the 200 ms tick): PONGs 1 and 2 count, the 3rd brings the link up.
        net.Run(1_500 * Ms);
        Assert.False(net.Machines[0].IsConnected(1, 0));
        Assert.Equal(2, net.Machines[0].LinkCounters(1, 0).RxPongs);
        net.Run(200 * Ms);
        Assert.True(net.Machines[0].IsConnected(1, 0));
        Assert.True(net.Machines[0].IsReachable(1));
        Assert.Equal(3, net.Machines[0].LinkCounters(1, 0).RxPongs);
        while (net.Machines[0].PollEvent(out KnetEvent ev))
        {
            events.Add(ev);
        }

        Assert.Contains(new KnetEvent(KnetEventKind.LinkUp, 2, 0, 0), events);
        Assert.Contains(new KnetEvent(KnetEventKind.HostReachable, 2, -1, 0), events);
    }

    [Fact]
    public void DataFlowsWithPerSenderSeqAndPmtudRaisesTheDataMtu()
    {
        var net = new KnetTestNet(3);
        net.Run(3_000 * Ms);
        Assert.True(net.AllReachable());

        // Cleartext over a 1500-byte path: 1500 − 28 − 26 = 1446 (docs/knet.md §5).
        Assert.Equal(1446, net.Machines[0].DataMtu);
        Assert.Equal(1446, net.Machines[0].LinkMtu(1, 0));
        byte[] small = KnetTestNet.Payload(200, 1);
        net.Send(0, small);
        Assert.Equal(small, Assert.Single(net.Delivered[1]).Bytes);
        Assert.Equal(small, Assert.Single(net.Delivered[2]).Bytes);
        Assert.Empty(net.Delivered[0]);

        net.Send(0, small, destination: 3);
        Assert.Single(net.Delivered[1]);
        Assert.Equal(2, net.Delivered[2].Count);
        Assert.Equal(2, net.Machines[0].TxSeq);
    }

    [Fact]
    public void CryptoMtuIsTheAes256Sha256One()
    {
        var net = new KnetTestNet(2, crypto: _ => Aes256Sha256(5));
        Assert.Equal(421, net.Machines[0].DataMtu); // minimum before PMTUd
        net.Run(3_000 * Ms);
        Assert.Equal(1397, net.Machines[0].DataMtu);
        byte[] big = KnetTestNet.Payload(3000, 2);
        net.Send(1, big);
        Assert.Equal(big, Assert.Single(net.Delivered[0]).Bytes);
    }

    [Fact]
    public void MismatchedKeysNeverBringALinkUpAndAreCountedAsCryptoFailures()
    {
        var net = new KnetTestNet(2, crypto: h => Aes256Sha256((byte)(h == 0 ? 5 : 6)));
        net.Run(5_000 * Ms);
        Assert.False(net.Machines[0].IsReachable(1));
        Assert.False(net.Machines[1].IsReachable(0));
        Assert.True(net.Machines[0].Drops.CryptoFailed >= 6);
        Assert.Equal(0, net.Machines[0].LinkCounters(1, 0).RxPings);
    }

    [Theory]
    [InlineData(65491)]
    [InlineData(65536)]
    [InlineData(1447)]
    public void LargeFramesAreFragmentedAndReassembledWhole(int length)
    {
        var net = new KnetTestNet(2);
        net.Run(3_000 * Ms);
        byte[] frame = KnetTestNet.Payload(length, length);
        long before = net.Machines[0].LinkCounters(1, 0).TxDataPackets;
        net.Send(0, frame);
        Assert.Equal(frame, Assert.Single(net.Delivered[1]).Bytes);
        Assert.Equal((length + 1445) / 1446, net.Machines[0].LinkCounters(1, 0).TxDataPackets - before);
        Assert.Equal(0, net.Machines[1].DefragBuffersInUse);
    }

    [Fact]
    public void ReorderedAndDuplicatedFragmentsDeliverOnce()
    {
        int seed = Seed();
        _out.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var net = new KnetTestNet(2);
        net.Run(3_000 * Ms);
        for (int round = 0; round < 20; round++)
        {
            net.Filter = (from, to, link, bytes) => from == 0 ? -1 : 1;
            var frames = new List<byte[]>();
            for (int m = 0; m < 3; m++)
            {
                byte[] frame = KnetTestNet.Payload(rng.Next(1, 20_000), rng.Next());
                frames.Add(frame);
                Assert.Equal(KnetSendResult.Sent, net.Machines[0].HandleSend(frame, 0, net.Now));
                net.Pump();
            }

            net.Filter = null;
            int count = net.Held.Count;
            var order = Enumerable.Range(0, count).Concat(Enumerable.Range(0, count).Where(_ => rng.Next(3) == 0)).OrderBy(_ => rng.Next()).ToList();
            net.Delivered[1].Clear();
            net.Release(order);
            Assert.Equal(frames.Select(Convert.ToHexString).OrderBy(s => s), net.Delivered[1].Select(d => Convert.ToHexString(d.Bytes)).OrderBy(s => s));
        }

        Assert.True(net.Machines[1].Drops.Duplicate > 0);
        Assert.Equal(0, net.Machines[1].Drops.BadFragment);
    }

    [Fact]
    public void LastFragmentFirstIsParkedAndMoved()
    {
        var net = new KnetTestNet(2);
        net.Run(3_000 * Ms);
        net.Filter = (_, _, _, _) => -1;
        byte[] frame = KnetTestNet.Payload(5000, 9);
        net.Machines[0].HandleSend(frame, 0, net.Now);
        net.Pump();
        net.Filter = null;
        var dataIndexes = Enumerable.Range(0, net.Held.Count).Where(i => net.Held[i].From == 0 && net.Held[i].Bytes[1] == 0).ToList();
        Assert.Equal(4, dataIndexes.Count);
        dataIndexes.Reverse();
        net.Release(dataIndexes);
        Assert.Equal(frame, Assert.Single(net.Delivered[1]).Bytes);
    }

    [Fact]
    public void OneWayLossTakesTheLinkDownAfterThePongTimeoutAndItComesBack()
    {
        var net = new KnetTestNet(2);
        net.Run(15_000 * Ms); // the backoff has dropped to 1 by now
        Assert.True(net.AllReachable());

        // Everything from 1 to 0 is lost: 0 hears no PONGs, 1 hears no PINGs.
        net.Filter = (from, to, link, bytes) => from == 1 ? 0 : 1;
        net.Run(600 * Ms);
        Assert.True(net.Machines[0].IsReachable(1), "the last PONG came at most 800 ms ago: 1500 ms have not passed yet");
        net.Run(1_400 * Ms);
        Assert.False(net.Machines[0].IsReachable(1));
        Assert.Equal(KnetSendResult.NoRoute, net.Machines[0].HandleSend(new byte[10], 0, net.Now));

        net.Filter = null;
        net.Run(3_000 * Ms);
        Assert.True(net.AllReachable());
        Assert.Equal(1, net.Machines[0].LinkCounters(1, 0).LinkDowns);
        Assert.Equal(2, net.Machines[0].LinkCounters(1, 0).LinkUps);
    }

    [Fact]
    public void AYoungLinkToleratesLongerSilenceThanAnOldOne()
    {
        // The backoff starts at 10 when the link is configured and drops by one a second (to 1).
        var young = new KnetTestNet(2);
        young.Run(2_000 * Ms);
        Assert.True(young.AllReachable());
        young.Filter = (_, _, _, _) => 0;
        young.Run(3_000 * Ms);
        Assert.True(young.Machines[0].IsConnected(1, 0), "at 5 s the backoff is still 5: 7.5 s of silence are tolerated");

        var old = new KnetTestNet(2);
        old.Run(15_000 * Ms);
        old.Filter = (_, _, _, _) => 0;
        old.Run(3_000 * Ms);
        Assert.False(old.Machines[0].IsConnected(1, 0), "after 10 s the backoff is 1: 1.5 s of silence take the link down");
    }

    [Theory]
    [InlineData(KnetLinkMode.Passive)]
    [InlineData(KnetLinkMode.Active)]
    [InlineData(KnetLinkMode.RoundRobin)]
    public void LinkModesPickLinksAsLibknet(object modeArg)
    {
        KnetLinkMode mode = (KnetLinkMode)modeArg;
        var net = new KnetTestNet(2, links: 2, mode: mode, priorities: new[] { 1, 2 });
        net.Run(3_000 * Ms);
        for (int i = 0; i < 100; i++)
        {
            net.Send(0, KnetTestNet.Payload(100, i));
        }

        long l0 = net.Machines[0].LinkCounters(1, 0).TxDataPackets;
        long l1 = net.Machines[0].LinkCounters(1, 1).TxDataPackets;
        Assert.Equal(100, net.Delivered[1].Count);
        switch (mode)
        {
            case KnetLinkMode.Passive:
                Assert.Equal((0, 100), (l0, l1)); // link 1 has the higher priority
                break;
            case KnetLinkMode.Active:
                Assert.Equal((100, 100), (l0, l1));
                Assert.Equal(100, net.Machines[1].Drops.Duplicate);
                break;
            default:
                Assert.Equal((50, 50), (l0, l1));
                break;
        }
    }

    [Fact]
    public void PassiveFailsOverToTheOtherLinkAndBackWithoutLoss()
    {
        var net = new KnetTestNet(2, links: 2, priorities: new[] { 2, 1 });
        net.Run(15_000 * Ms);
        int sent = 0;
        void Burst(int n)
        {
            for (int i = 0; i < n; i++)
            {
                if (net.Machines[0].HandleSend(KnetTestNet.Payload(50, sent), 0, net.Now) == KnetSendResult.Sent)
                {
                    sent++;
                }

                net.Pump();
                net.Run(20 * Ms);
            }
        }

        Burst(50);
        long before1 = net.Machines[0].LinkCounters(1, 1).TxDataPackets;
        Assert.Equal(0, before1);
        net.Filter = (from, to, link, bytes) => link == 0 ? 0 : 1; // link 0 cut both ways
        net.Run(2_000 * Ms);
        Assert.False(net.Machines[0].IsConnected(1, 0));
        Assert.True(net.Machines[0].IsReachable(1));
        int duringStart = sent;
        Burst(50);
        Assert.Equal(50, net.Machines[0].LinkCounters(1, 1).TxDataPackets);
        net.Filter = null;
        net.Run(3_000 * Ms);
        Assert.True(net.Machines[0].IsConnected(1, 0));
        long link0Before = net.Machines[0].LinkCounters(1, 0).TxDataPackets;
        Burst(50);
        Assert.Equal(50, net.Machines[0].LinkCounters(1, 0).TxDataPackets - link0Before);
        Assert.Equal(150, sent);
        Assert.True(duringStart == 50);
    }

    [Fact]
    public void PmtudFindsAPathMtuBelowTheInterfaceMtu()
    {
        var net = new KnetTestNet(2) { PathMtu = 1300 };
        net.Run(60_000 * Ms);
        int mtu = net.Machines[0].LinkMtu(1, 0);
        _out.WriteLine($"link MTU {mtu}");
        Assert.InRange(mtu, 1300 - 28 - 26 - 8, 1300 - 28 - 26);
        byte[] frame = KnetTestNet.Payload(10_000, 3);
        net.Send(0, frame);
        Assert.Equal(frame, Assert.Single(net.Delivered[1]).Bytes);
    }

    [Fact]
    public void APeerThatNeverAnswersPmtudBecomesUnreachableAfterThirtyAttempts()
    {
        var net = new KnetTestNet(2);
        net.Filter = (from, to, link, bytes) => from == 1 && bytes[1] == (byte)KnetPacketType.PmtudReply ? 0 : 1;
        net.Run(3_000 * Ms);
        Assert.True(net.Machines[0].IsReachable(1), "reachable at once: a configured link has a valid MTU");
        net.Run(400_000 * Ms);
        bool failed = false;
        while (net.Machines[0].PollEvent(out KnetEvent ev))
        {
            failed |= ev.Kind == KnetEventKind.PmtudFailed;
        }

        Assert.True(failed);
        Assert.False(net.Machines[0].IsReachable(1));
    }

    [Fact]
    public void ARestartedPeerIsHeardAgainThroughItsSeqZeroPings()
    {
        var net = new KnetTestNet(2);
        net.Run(3_000 * Ms);
        for (int i = 0; i < 10; i++)
        {
            net.Send(1, KnetTestNet.Payload(30, i));
        }

        Assert.Equal(10, net.Delivered[0].Count);
        net.Run(1_000 * Ms); // its PINGs now carry seq 10
        net.Restart(1);
        net.Run(3_000 * Ms);
        net.Send(1, KnetTestNet.Payload(30, 99));
        Assert.Equal(11, net.Delivered[0].Count);
    }

    [Fact]
    public void SourceAddressHostIdAndTypeAreChecked()
    {
        var net = new KnetTestNet(3);
        net.Run(3_000 * Ms);
        KnetMachine m = net.Machines[0];
        var ping = new byte[KnetPing.Size];
        KnetCodec.TryEncodePing(new KnetPing { Header = new KnetHeader(KnetPacketType.Ping, 2), Link = 0, Timed = 1 }, ping, out _);

        // From host 3's address while claiming host 2: refused by the access list.
        Assert.False(m.HandleDatagram(0, KnetTestNet.AddressOf(2, 0), ping, net.Now, out _));
        Assert.Equal(1, m.Drops.WrongSource);

        ping[3] = 9; // host 9 is not in the nodelist
        m.HandleDatagram(0, KnetTestNet.AddressOf(8, 0), ping, net.Now, out _);
        Assert.Equal(1, m.Drops.UnknownHost);
        ping[3] = 2;
        ping[6] = 3; // link 3 is not configured
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), ping, net.Now, out _);
        Assert.Equal(1, m.Drops.UnknownLink);
        ping[6] = 0;
        ping[0] = 2;
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), ping, net.Now, out _);
        Assert.Equal(1, m.Drops.BadVersion);
        ping[0] = 1;
        ping[1] = 0x85;
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), ping, net.Now, out _);
        Assert.Equal(1, m.Drops.UnknownType);
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), ping.AsSpan(0, 5), net.Now, out _);
        Assert.Equal(1, m.Drops.Truncated);

        // DATA with a fragment number beyond its count, and fragments whose sizes do not add up.
        var data = new byte[100];
        var header = new KnetDataHeader { Header = new KnetHeader(KnetPacketType.Data, 2), Seq = 500, FragmentCount = 3, FragmentSeq = 1 };
        KnetCodec.TryEncodeDataHeader(header, data);
        data[12] = 4;
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), data, net.Now, out _);
        Assert.Equal(1, m.Drops.BadFragment);
        data[12] = 1;
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), data, net.Now, out _);
        data[12] = 2;
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), data.AsSpan(0, 60), net.Now, out _);
        Assert.Equal(2, m.Drops.BadFragment);

        // Compressed DATA is refused (FastTotem speaks uncompressed knet only).
        header = new KnetDataHeader { Header = new KnetHeader(KnetPacketType.Data, 2), Seq = 600, FragmentCount = 1, Compress = 1 };
        KnetCodec.TryEncodeDataHeader(header, data);
        m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), data, net.Now, out _);
        Assert.Equal(1, m.Drops.Compressed);
    }

    [Fact]
    public void RandomBytesNeverThrowAndNeverDeliver()
    {
        int seed = Seed();
        _out.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var net = new KnetTestNet(2);
        net.Run(3_000 * Ms);
        KnetMachine m = net.Machines[0];
        var buffer = new byte[2000];
        int delivered = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int length = rng.Next(0, buffer.Length);
            rng.NextBytes(buffer.AsSpan(0, length));
            if (rng.Next(2) == 0 && length > 14)
            {
                // Mostly-valid DATA from host 2, so the fragment paths get exercised.
                buffer[0] = 1;
                buffer[1] = 0;
                buffer[2] = 0;
                buffer[3] = 2;
                buffer[8] = 0;
                buffer[13] = 0;
                buffer[11] = (byte)rng.Next(0, 6);
                buffer[12] = (byte)rng.Next(0, 7);
            }

            if (m.HandleDatagram(0, KnetTestNet.AddressOf(1, 0), buffer.AsSpan(0, length), net.Now, out ReadOnlySpan<byte> payload))
            {
                delivered++;
                Assert.True(payload.Length <= 65536);
            }
        }

        ref readonly KnetDropCounters d = ref m.Drops;
        _out.WriteLine($"delivered {delivered}, truncated {d.Truncated}, version {d.BadVersion}, type {d.UnknownType}, host {d.UnknownHost}, fragment {d.BadFragment}, duplicate {d.Duplicate}");
        Assert.True(d.BadVersion + d.UnknownType + d.UnknownHost + d.Truncated > 5_000);
        Assert.True(m.DefragBuffersInUse <= 64);
    }

    [Fact]
    public void SteadyStateAllocatesNothingWithCrypto()
    {
        var net = new KnetTestNet(2, crypto: _ => Aes256Sha256(1));
        net.Run(3_000 * Ms);
        KnetMachine a = net.Machines[0];
        KnetMachine b = net.Machines[1];
        byte[] small = KnetTestNet.Payload(300, 1);
        byte[] big = KnetTestNet.Payload(20_000, 2);
        byte[] buffer = new byte[KnetMachine.TransmitBufferMin];
        KnetAddress fromA = KnetTestNet.AddressOf(0, 0);
        KnetAddress fromB = KnetTestNet.AddressOf(1, 0);
        long now = net.Now;
        int delivered = 0;
        void Round()
        {
            now += Ms;
            a.HandleSend(small, 0, now);
            a.HandleSend(big, 2, now);
            a.HandleTimeout(now);
            b.HandleTimeout(now);
            while (a.PollTransmit(buffer, out KnetTransmit t))
            {
                if (b.HandleDatagram(0, fromA, buffer.AsSpan(0, t.Length), now, out ReadOnlySpan<byte> p))
                {
                    delivered += p.Length > 0 ? 1 : 0;
                }
            }

            while (b.PollTransmit(buffer, out KnetTransmit t))
            {
                a.HandleDatagram(0, fromB, buffer.AsSpan(0, t.Length), now, out _);
            }

            while (a.PollEvent(out _) || b.PollEvent(out _))
            {
            }
        }

        for (int i = 0; i < 2_000; i++)
        {
            Round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5_000; i++)
        {
            Round();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(14_000, delivered);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TotemTargetIsReadInTheSendersByteOrder()
    {
        var frame = new byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(frame, 0xC070);
        TotemKnetRouting.SetTarget(frame, 7);
        Assert.Equal(7u, TotemKnetRouting.Target(frame));
        Assert.True(TotemKnetRouting.IsForUs(frame, 7));
        Assert.False(TotemKnetRouting.IsForUs(frame, 3));
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0xC070);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(9), 3);
        Assert.Equal(3u, TotemKnetRouting.Target(frame));
        frame.AsSpan(9, 4).Clear();
        Assert.True(TotemKnetRouting.IsForUs(frame, 3));
    }
}
