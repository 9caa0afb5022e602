namespace FastTotem.Fuzz;

/// <summary>
/// <c>engine</c>: the 3-node ring of <see cref="FuzzRing"/> driven by a script. The first byte picks the start
/// (even: three nodes just started; odd: the ring already operational); every following op byte is one step:
/// <list type="bullet">
/// <item>0 deliver the oldest datagram in flight now, 1 drop it, 2 duplicate it, 3 move it to the back,
/// 4 flip a bit of it (offset byte, bit byte)</item>
/// <item>5 run the network and timers for 1–256 ms (byte), 6 jump up to 2.55 s (byte × 10 ms)</item>
/// <item>7 cut or heal the links of a node (byte), 8 send an application message of up to 4 KiB (node byte,
/// 2 length bytes; longer than one frame means totempg fragments)</item>
/// <item>9 hand a node a datagram from the script (node byte, transmitter byte: a member or none, 2 length bytes, the bytes)</item>
/// </list>
/// Invariants are checked after every step. A script that only lost, duplicated, reordered or delayed datagrams,
/// cut links and sent messages (nothing forged or corrupted) must end in one operational 3-node ring once the
/// links heal: Totem's liveness, checked within 15 s of healed network.
/// Both starts are built once per process and restored from a snapshot per input (<see cref="GraphSnapshot"/>;
/// <c>reuse: false</c> builds them fresh every time).
/// </summary>
public sealed class EngineTarget(bool reuse = true) : IFuzzTarget
{
    private PreparedRing? _fresh;
    private PreparedRing? _operational;

    public const int StepsMax = 512;
    private const long Ms = 1_000_000;
    private readonly byte[] _payload = new byte[4096];

    public string Name => "engine";

    public void Run(ReadOnlySpan<byte> input)
    {
        var reader = new FuzzInput(input);
        FuzzRing ring;
        if ((reader.Byte() & 1) == 0)
        {
            ring = reuse ? (_fresh ??= new PreparedRing(StartFresh)).Restore() : StartFresh();
        }
        else
        {
            ring = reuse ? (_operational ??= new PreparedRing(() => DatagramTarget.Prepare(0))).Restore() : DatagramTarget.Prepare(0);
        }

        _last = ring;
        RunScript(ring, ref reader);
    }

    private FuzzRing? _last;

    /// <summary><see cref="FuzzRing.Fingerprint"/> of the ring after the last input (read before the next one: the
    /// fuzzer never asks, so it is not computed per input).</summary>
    public ulong LastFingerprint => _last?.Fingerprint() ?? 0;

    /// <summary>FUZZ_TRACE=1: every step prints the ring's state (for reading a failing input, never under afl-fuzz).</summary>
    private static readonly bool Trace = Environment.GetEnvironmentVariable("FUZZ_TRACE") == "1";

    private static FuzzRing StartFresh()
    {
        var ring = new FuzzRing();
        ring.StartAll();
        return ring;
    }

    private void RunScript(FuzzRing ring, ref FuzzInput reader)
    {
        bool forged = false;
        for (int step = 0; step < StepsMax && !reader.IsEmpty; step++)
        {
            switch (reader.Byte() % 10)
            {
                case 0:
                    if (ring.PacketCount > 0)
                    {
                        ring.DeliverNext();
                    }

                    break;
                case 1:
                    ring.DropNext();
                    break;
                case 2:
                    ring.DuplicateNext();
                    break;
                case 3:
                    ring.DelayNext();
                    break;
                case 4:
                    forged |= ring.PacketCount > 0;
                    ring.CorruptNext(reader.Byte(), (byte)(1 << (reader.Byte() % 8)));
                    break;
                case 5:
                    ring.RunFor((reader.Byte() + 1) * Ms);
                    break;
                case 6:
                    ring.RunFor(reader.Byte() * 10 * Ms);
                    break;
                case 7:
                    int node = reader.Byte() % (2 * FuzzRing.NodeCount);
                    ring.Isolate(node % FuzzRing.NodeCount, node < FuzzRing.NodeCount);
                    break;
                case 8:
                    int sender = reader.Byte() % FuzzRing.NodeCount;
                    int length = 1 + (reader.UInt16() % _payload.Length);
                    _payload.AsSpan(0, length).Fill((byte)step);
                    ring.Send(sender, _payload.AsSpan(0, length));
                    break;
                default:
                    int target = reader.Byte() % FuzzRing.NodeCount;
                    uint source = (uint)(reader.Byte() % (FuzzRing.NodeCount + 1));
                    ReadOnlySpan<byte> datagram = reader.Bytes(reader.UInt16() % 2048);
                    ring.Inject(target, source, datagram);
                    forged = true;
                    break;
            }

            ring.CheckInvariants();
            if (Trace)
            {
                Console.WriteLine($"step {step}: {ring.Describe()}");
            }
        }

        if (!forged)
        {
            // Liveness: within 15 s of healed network one operational 3-node ring with its synchronisation done, still
            // standing a token timeout later (a ring that cannot keep its token would have lost it by then). Stopping
            // once that holds, instead of always running the full 15 s, is most of what an input costs.
            ring.HealAll();
            bool formed = ring.RunUntilSettled(15_000 * Ms);
            ring.RunFor(FuzzRing.TokenTimeoutMs * Ms);
            ring.CheckInvariants();
            if (!formed || !ring.AllOperational())
            {
                throw new FuzzInvariantException(
                    $"no forged datagram, links healed for 15 s, yet the nodes are in {ring.Engines[0].State}/{ring.Engines[1].State}/{ring.Engines[2].State} " +
                    $"with {ring.Engines[0].Members.Length}/{ring.Engines[1].Members.Length}/{ring.Engines[2].Members.Length} members, " +
                    $"waiting for the transitional acknowledgement {ring.Engines[0].WaitingTransAck}/{ring.Engines[1].WaitingTransAck}/{ring.Engines[2].WaitingTransAck}" +
                    (formed ? ", after being settled one token timeout earlier" : "") + "; " + ring.Describe());
            }
        }
    }
}
