using System.Net;
using FastTotem.Capture;
using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Capture;
using FastTotem.Wire;

namespace FastTotem.Tests.Srp;

/// <summary>
/// Runs one engine as one node of a capture: the datagrams the captured node received are fed to it at their
/// captured times, its own tokens to itself loop back after <c>loopbackNs</c>, and the application messages the captured
/// node originated are queued just before the received datagram that preceded their sending. What the engine
/// sends is compared with what the captured node sent (one copy of each "mcast"-path datagram).
/// </summary>
internal static class CaptureReplay
{
    public sealed record Sent(long AtNs, int Frame, uint To, byte[] Bytes);

    public sealed class Result
    {
        public List<Sent> Captured = [];
        public List<Sent> Produced = [];

        /// <summary>Frames the node sent before a seeded replay starts: not compared (the engine did not exist yet).</summary>
        public List<int> NotCompared = [];

        /// <summary>
        /// The engine's events in order: "deliver seq from N" for a delivery and "Transitional|Regular R.S [members] left [..]
        /// joined [..]" for a configuration change.
        /// </summary>
        public List<string> Events = [];
        public SrpEngine Engine = null!;
    }

    private static IPAddress Ip(uint node) => IPAddress.Parse("10.212.0." + node);

    private static bool IsTotem(CapturedDatagram d) =>
        d.DestinationPort == 5405 && d.Payload.Length >= 13 && d.Payload[0] == 0x70 && d.Payload[1] == 0xc0;

    public static Result Run(string fixture, uint node, uint[] nodeList, int tokenMs, ulong storedSeq, long untilNs, long loopbackNs = 10_000) =>
        Run([fixture], node, nodeList, tokenMs, storedSeq, untilNs, loopbackNs);

    /// <summary>
    /// Replays several captures of one run back to back (c continues b): each later capture is shifted to start
    /// <paramref name="gapNs"/> after the previous one ended, since the quiet time between them was not captured.
    /// </summary>
    public static Result Run(
        string[] fixtures, uint node, uint[] nodeList, int tokenMs, ulong storedSeq, long untilNs, long loopbackNs = 10_000, long gapNs = 100_000_000) =>
        Run(fixtures, node, nodeList, tokenMs, storedSeq, untilNs, loopbackNs, gapNs, seeded: false, leaveAtNs: long.MaxValue);

    /// <summary>
    /// Replays a capture whose ring formed before the capture began: the engine is seeded (SrpEngine.SeedOperational)
    /// as an idle operational member of the ring the first token it receives names (see <see cref="CaptureSeed"/>),
    /// just before the first datagram it receives. Only what the captured node sent from then on is compared.
    /// <paramref name="leaveAtNs"/> (capture-relative) calls <see cref="SrpEngine.Leave"/>: a SIGTERM, which the
    /// capture shows only through the LEAVE it causes.
    /// </summary>
    /// <remarks>
    /// <paramref name="handleFrameAtNs"/> hands one received frame to the engine later than it was captured (frame
    /// number, capture-relative time): to reproduce a captured node's processing delay when a timer raced with it.
    /// </remarks>
    public static Result RunSeeded(
        string fixture, uint node, uint[] nodeList, int tokenMs, long untilNs, long loopbackNs = 400_000, long leaveAtNs = long.MaxValue,
        (int Frame, long AtNs)? handleFrameAtNs = null) =>
        Run([fixture], node, nodeList, tokenMs, 0, untilNs, loopbackNs, 0, seeded: true, leaveAtNs, handleFrameAtNs);

    private static Result Run(
        string[] fixtures, uint node, uint[] nodeList, int tokenMs, ulong storedSeq, long untilNs, long loopbackNs, long gapNs,
        bool seeded, long leaveAtNs, (int Frame, long AtNs)? handleFrameAtNs = null)
    {
        var all = new List<CapturedDatagram>();
        long t0 = 0;
        long end = 0;
        foreach (string fixture in fixtures)
        {
            IReadOnlyList<CapturedDatagram> part = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(fixture));
            long shift = all.Count == 0 ? 0 : end + gapNs - part[0].TimestampNs;
            if (all.Count == 0)
            {
                t0 = part[0].TimestampNs;
            }

            foreach (CapturedDatagram d in part)
            {
                all.Add(d with { TimestampNs = d.TimestampNs + shift });
            }

            end = all[^1].TimestampNs;
        }

        untilNs = Math.Min(untilNs, end - t0);

        IPAddress me = Ip(node);
        IPAddress copyTarget = Ip(nodeList.First(n => n != node));

        var received = all.Where(d => IsTotem(d) && d.Destination.Equals(me) && !d.Source.Equals(me)).ToList();
        if (handleFrameAtNs is (int lateFrame, long lateAt))
        {
            int i = received.FindIndex(d => d.Frame == lateFrame);
            received[i] = received[i] with { TimestampNs = t0 + lateAt };
            received = received.OrderBy(d => d.TimestampNs).ToList();
        }

        var sent = all.Where(d => IsTotem(d) && d.Source.Equals(me)
                && (d.Payload[3] is 0 or 4 || d.Destination.Equals(copyTarget)))
            .ToList();

        var config = SrpConfig.CorosyncDefaults(node, nodeList, tokenMs);
        SrpSeedState? seed = null;
        List<int> notCompared = [];
        long startAt = sent.Count > 0 ? Math.Max(0, sent[0].TimestampNs - t0 - 1000) : 0;
        if (seeded)
        {
            startAt = Math.Max(0, received[0].TimestampNs - t0 - 1000);
            seed = CaptureSeed.Build(all, node, config, lastTokenAtNs: startAt);
            received = received.Where(d => d.TimestampNs - t0 >= startAt).ToList();
            notCompared = sent.Where(d => d.TimestampNs - t0 < startAt).Select(d => d.Frame).ToList();
            sent = sent.Where(d => d.TimestampNs - t0 >= startAt).ToList();
        }

        var result = new Result { NotCompared = notCompared };
        foreach (CapturedDatagram d in sent)
        {
            long at = d.TimestampNs - t0;
            if (at <= untilNs)
            {
                uint to = d.Payload[3] is 0 or 4 ? d.Destination.GetAddressBytes()[3] : 0u;
                result.Captured.Add(new Sent(at, d.Frame, to, d.Payload));
            }
        }

        // Application messages: each new mcast the node originated, queued before the datagram that preceded it.
        var injectBefore = new Dictionary<int, List<byte[]>>();
        var injectAtStart = new List<byte[]>();
        var seen = new HashSet<(MembRingId, uint)>();
        foreach (CapturedDatagram d in sent)
        {
            if (d.Payload[3] != 1 || d.Payload[4] != 2)
            {
                continue;
            }

            McastCodec.TryDecode(d.Payload, out McastHeader h, out ReadOnlySpan<byte> payload, out _);
            if (h.Header.NodeId != node || !seen.Add((h.RingId, h.Seq)))
            {
                continue;
            }

            int idx = received.FindLastIndex(r => r.TimestampNs < d.TimestampNs);
            List<byte[]> list = idx < 0 ? injectAtStart : (injectBefore.TryGetValue(idx, out var l) ? l : injectBefore[idx] = []);
            list.Add(payload.ToArray());
        }

        var engine = new SrpEngine(config, new MemoryRingSeqStore(storedSeq));
        result.Engine = engine;
        // SRP only: the captures hold Totem frames; the node machine runs the engine through the production loop.
        var machine = new NodeMachine(engine);
        var loop = new Queue<(long At, byte[] Bytes)>();
        long now = startAt;

        // One loop step with at most one datagram: the machine's datagrams to the node itself loop back after
        // loopbackNs (the kernel's loopback), the others are what the node produced.
        void Step(byte[]? datagram, NodeLoop.Input input = NodeLoop.Input.None)
        {
            var io = new ReplayIo(datagram, node, now, loopbackNs, loop, result);
            NodeLoop.Step(machine, ref io, now, input);
        }

        if (seed is null)
        {
            Step(null, NodeLoop.Input.Start);
        }
        else
        {
            machine.StartSeeded(seed, now);
        }

        foreach (byte[] p in injectAtStart)
        {
            machine.TryMulticast(p);
        }

        Step(null);
        int next = 0;
        while (true)
        {
            long tRx = next < received.Count ? received[next].TimestampNs - t0 : long.MaxValue;
            long tLoop = loop.Count > 0 ? loop.Peek().At : long.MaxValue;
            long tTimer = machine.PollTimeout();
            long tLeave = machine.IsRunning ? leaveAtNs : long.MaxValue;
            long t = Math.Min(Math.Min(tRx, tLeave), Math.Min(tLoop, tTimer));
            if (t > untilNs)
            {
                break;
            }

            now = Math.Max(now, t);
            if (t == tLeave)
            {
                Step(null, NodeLoop.Input.Leave);
            }
            else if (t == tLoop)
            {
                Step(loop.Dequeue().Bytes);
            }
            else if (t == tRx)
            {
                if (injectBefore.TryGetValue(next, out var inject))
                {
                    foreach (byte[] p in inject)
                    {
                        machine.TryMulticast(p);
                    }
                }

                Step(received[next].Payload);
                next++;
            }
            else
            {
                Step(null);
            }
        }

        return result;
    }

    /// <summary>The replay's side of a loop step.</summary>
    private readonly struct ReplayIo(byte[]? datagram, uint node, long now, long loopbackNs, Queue<(long At, byte[] Bytes)> loop, Result result) : INodeIo
    {
        public int ReceivedCount => datagram == null ? 0 : 1;

        public ReadOnlySpan<byte> Received(int index) => datagram;

        public NodeSource ReceivedSource(int index) => NodeSource.Unknown;

        public void Transmit(ReadOnlySpan<byte> bytes, uint destination)
        {
            if (destination == node)
            {
                loop.Enqueue((now + loopbackNs, bytes.ToArray()));
            }
            else
            {
                result.Produced.Add(new Sent(now, 0, destination, bytes.ToArray()));
            }
        }

        public void Flush()
        {
        }

        public void OnEvent(in NodeEvent ev)
        {
            if (ev.Kind == NodeEventKind.GatherEntered)
            {
                return; // the captures' expectations list deliveries and configuration changes
            }

            result.Events.Add(ev.Kind == NodeEventKind.Deliver
                ? $"deliver {ev.Seq} from {ev.SenderNodeId}"
                : $"{ev.ConfigKind} {ev.RingId} [{string.Join(",", ev.Members.ToArray())}] left [{string.Join(",", ev.Left.ToArray())}] joined [{string.Join(",", ev.Joined.ToArray())}]");
        }

        public void OnFault(Exception exception) => throw new InvalidOperationException("the replayed node faulted", exception);
    }

    /// <summary>A datagram with target_nodeid (junk in corosync's frames) zeroed, for byte comparison.</summary>
    public static byte[] WithoutTarget(byte[] d)
    {
        byte[] copy = (byte[])d.Clone();
        copy.AsSpan(9, 4).Clear();
        if (copy[3] == 1 && copy[4] == 1 && copy.Length >= 90)
        {
            copy.AsSpan(45 + 9, 4).Clear();
        }

        return copy;
    }
}
