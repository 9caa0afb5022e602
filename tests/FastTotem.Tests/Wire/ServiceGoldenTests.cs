using FastTotem.Protocol.Pg;
using FastTotem.Tests.Capture;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>
/// Every totempg payload of every capture: it parses, re-encodes, reassembles per sender, and every service
/// message in it decodes to the values decoded/*.decoded.txt shows and re-encodes byte for byte. Foreign-endian
/// twins of packets and messages decode to the same values.
/// </summary>
public class ServiceGoldenTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string name in CaptureFixtures.Names)
        {
            data.Add(name);
        }

        return data;
    }

    private sealed class Collector : IPgMessageSink
    {
        public List<byte[]> Messages { get; } = new();

        public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian) => Messages.Add(message.ToArray());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EveryPayloadMatchesTheIndependentDecode(string name)
    {
        List<PgCaptureStream.McastFrame> frames = PgCaptureStream.Load(name);
        Dictionary<int, List<string>> decoded = PgCaptureStream.DecodedBlocks(name);
        var assembler = new PgAssembler(8);
        var twinAssembler = new PgAssembler(8);
        var seenInner = new HashSet<(uint, ulong, uint)>();
        int checkedFrames = 0;
        int checkedMessages = 0;

        foreach (PgCaptureStream.McastFrame frame in frames)
        {
            byte[] payload = frame.Payload;
            Assert.Equal(WireError.None, PgPacket.TryParse(payload, false, out PgPacketView packet));

            // The packet re-encodes byte for byte from its parsed parts.
            ushort[] lens = new ushort[packet.Count];
            for (int i = 0; i < lens.Length; i++)
            {
                lens[i] = (ushort)packet.LengthAt(i);
            }

            byte[] again = new byte[payload.Length];
            Assert.Equal(WireError.None, PgPacket.TryWrite(again, packet.Fragmented, packet.Continuation, lens, packet.Data, out int written));
            Assert.Equal(payload.Length, written);
            Assert.Equal(payload, again);

            List<string> expected = decoded[frame.Frame];
            var actual = new List<string>();
            if (frame.Encapsulated)
            {
                // The independent decoder shows an encapsulated mcast's inner message standalone; its contents
                // are the old ring's message, already fed to reassembly when it was first seen.
                McastHeader inner = frame.Inner!.Value;
                int at = expected.FindIndex(l => l.StartsWith("totempg:", StringComparison.Ordinal));
                Assert.True(at >= 0, $"frame {frame.Frame}: no totempg line");
                expected = expected.GetRange(at, expected.Count - at);
                actual.Add(ServiceMessageRenderer.PgLine(packet, payload.Length, shortForm: true));
                if (packet.Fragmented == 0 && packet.Continuation == 0)
                {
                    int offset = 0;
                    for (int i = 0; i < packet.Count; i++)
                    {
                        actual.AddRange(ServiceMessageRenderer.Render(packet.Data.Slice(offset, packet.LengthAt(i)), false));
                        offset += packet.LengthAt(i);
                    }
                }

                Assert.Equal(expected, actual);
                Assert.False(seenInner.Add((inner.RingId.Rep, inner.RingId.Seq, inner.Seq)), $"frame {frame.Frame}: inner message never seen directly");
                checkedFrames++;
                continue;
            }

            seenInner.Add((frame.Header.RingId.Rep, frame.Header.RingId.Seq, frame.Header.Seq));
            uint node = frame.Header.Header.NodeId;
            var collector = new Collector();
            Assert.Equal(PgReceiveResult.Accepted, assembler.HandlePacket(node, payload, false, collector));

            var twinCollector = new Collector();
            Assert.Equal(PgReceiveResult.Accepted, twinAssembler.HandlePacket(node, ServiceMessageRenderer.ForeignTwinPacket(payload), true, twinCollector));
            Assert.Equal(collector.Messages, twinCollector.Messages);

            actual.Add(ServiceMessageRenderer.PgLine(packet, payload.Length, shortForm: false));
            if (packet.Continuation != 0 && collector.Messages.Count > 0)
            {
                actual.Add($"[reassembled message of {collector.Messages[0].Length} bytes from node {node}]");
            }

            for (int i = 0; i < collector.Messages.Count; i++)
            {
                byte[] message = collector.Messages[i];
                actual.Add($"msg[{i}] {message.Length} bytes:");
                List<string> native = ServiceMessageRenderer.Render(message, false);
                actual.AddRange(native);
                Assert.Equal(native, ServiceMessageRenderer.Render(ServiceMessageRenderer.ForeignTwinMessage(message), true));
                checkedMessages++;
            }

            if (packet.Fragmented != 0)
            {
                actual.Add($"[incomplete message, {assembler.BufferedBytes(node)} bytes buffered for node {node}]");
            }

            Assert.True(expected.Count > 0 && expected[0].StartsWith("mcast ", StringComparison.Ordinal), $"frame {frame.Frame}");
            Assert.Equal(expected.GetRange(1, expected.Count - 1), actual);
            checkedFrames++;
        }

        Assert.True(checkedFrames > 0);
        Assert.True(checkedMessages > 0 || name.StartsWith('z'));
        Assert.Equal(0, assembler.MalformedDrops + assembler.ThrownAwayPackets + assembler.OversizeDrops + assembler.NoSlotDrops);
        Console.WriteLine($"{name}: {checkedFrames} payloads, {checkedMessages} messages checked");
    }

    [Fact]
    public void D388To392Reassemble3189Bytes()
    {
        List<PgCaptureStream.McastFrame> frames = PgCaptureStream.Load("d-cpg-traffic");
        var assembler = new PgAssembler(4);
        var collector = new Collector();
        foreach (int f in new[] { 388, 390, 392 })
        {
            PgCaptureStream.McastFrame frame = frames.Single(x => x.Frame == f);
            assembler.HandlePacket(frame.Header.Header.NodeId, frame.Payload, false, collector);
        }

        byte[] message = Assert.Single(collector.Messages);
        Assert.Equal(3189, message.Length);
        PgGroupHeader.TryParse(message, false, out PgGroupHeaderView g);
        Assert.Equal(WireError.None, CpgMcastMessage.TryRead(g.Payload, false, out CpgMcastMessage m, out ReadOnlySpan<byte> data));
        Assert.Equal(3000, data.Length);
        Assert.True(data.IndexOfAnyExcept((byte)'D') < 0 || data.Slice(0, 8).SequenceEqual("DDDDDDDD"u8));
    }

    [Fact]
    public void E915ReassemblesTheMegabyteMessageAcrossTheCounterWrap()
    {
        List<PgCaptureStream.McastFrame> frames = PgCaptureStream.Load("e-cpg-partial-mcast");
        var assembler = new PgAssembler(4);
        var collector = new Collector();
        int wraps = 0;
        foreach (PgCaptureStream.McastFrame frame in frames.Where(x => x.Frame >= 79 && x.Frame <= 915))
        {
            PgPacket.TryParse(frame.Payload, false, out PgPacketView p);
            if (p.Fragmented == 1 && p.Continuation == 255)
            {
                wraps++;
            }

            Assert.Equal(PgReceiveResult.Accepted, assembler.HandlePacket(frame.Header.Header.NodeId, frame.Payload, false, collector));
        }

        Assert.Equal(2, wraps);
        byte[] message = Assert.Single(collector.Messages);
        Assert.Equal(1_047_757, message.Length);
        PgGroupHeader.TryParse(message, false, out PgGroupHeaderView g);
        Assert.Equal(WireError.None, CpgPartialMcastMessage.TryRead(g.Payload, false, out CpgPartialMcastMessage m, out ReadOnlySpan<byte> piece));
        Assert.Equal(1_047_552, piece.Length);
        Assert.Equal(CpgPartialMcastMessage.TypeFirst, m.Type);
    }
}
