using FastTotem.Protocol.Srp;

namespace FastTotem.Fuzz;

/// <summary>
/// <c>datagram</c>: one datagram through the whole receive path of node 1 (SrpEngine, totempg, sync, the services)
/// in a prepared state. The first byte picks the state (its low two bits) and the transmitter (the bits above: a
/// member, node 1 itself, an address outside the nodelist, node 99), the rest is the datagram:
/// 0 OPERATIONAL in a 3-node ring after a few messages, 1 GATHER (node 3 cut off, the token lost),
/// 2 COMMIT and 3 RECOVERY on the way from there to the 2-node ring. Each state is built from nothing by the same
/// deterministic run, so an input always meets the same state. After the datagram the ring runs on for a few
/// network latencies, so what node 1 answers reaches the others, and the invariants are checked.
/// Each state is built once per process and snapshotted (<see cref="GraphSnapshot"/>); every input starts from the
/// restored snapshot, which is the state a fresh build reaches (<c>reuse: false</c> builds it fresh every time; the
/// replay tests check that both give the same result).
/// </summary>
public sealed class DatagramTarget(bool reuse = true) : IFuzzTarget
{
    private readonly PreparedRing?[] _prepared = new PreparedRing?[StateCount];

    public const int StateCount = 4;

    /// <summary>Who the datagram comes from: node 2, node 3, node 1 itself, no nodelist address, a stranger.</summary>
    private static readonly uint[] Sources = [2, 3, 1, 0, 99];

    public string Name => "datagram";

    public void Run(ReadOnlySpan<byte> input)
    {
        var reader = new FuzzInput(input);
        byte first = reader.Byte();
        int state = first % StateCount;
        FuzzRing ring = reuse ? (_prepared[state] ??= new PreparedRing(() => Prepare(state))).Restore() : Prepare(state);
        _last = ring;
        ring.Inject(0, Sources[(first / StateCount) % Sources.Length], reader.Rest());
        ring.RunFor(20 * FuzzRing.LatencyNs);
        ring.CheckInvariants();
    }

    private FuzzRing? _last;

    /// <summary>What the snapshots of the prepared states hold and what a restore costs (the runner's <c>time</c> verb).</summary>
    public string DescribeSnapshots()
    {
        var text = new System.Text.StringBuilder();
        for (int state = 0; state < StateCount; state++)
        {
            if (_prepared[state] is { } prepared)
            {
                GraphSnapshot snapshot = prepared.Snapshot;
                var watch = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < 100; i++)
                {
                    snapshot.Restore();
                }

                text.Append($"state {state}: {snapshot.ObjectCount} objects, {snapshot.ArrayCount} arrays, {snapshot.ArrayBytes} array bytes, restore {watch.Elapsed.TotalMilliseconds / 100:F3} ms\n{snapshot.LargestArrays}\n");
            }
        }

        return text.ToString();
    }

    /// <summary><see cref="FuzzRing.Fingerprint"/> of the ring after the last input (read before the next one: the
    /// fuzzer never asks, so it is not computed per input).</summary>
    public ulong LastFingerprint => _last?.Fingerprint() ?? 0;

    /// <summary>Node 1 (index 0) in state <paramref name="state"/> (see the class summary).</summary>
    internal static FuzzRing Prepare(int state)
    {
        var ring = new FuzzRing();
        ring.StartAll();
        Require(ring.RunUntilFormed(10_000_000_000), "the 3-node ring did not form");
        for (int i = 0; i < FuzzRing.NodeCount; i++)
        {
            Require(ring.Send(i, "fuzz target set-up message"u8), "a synchronised node refused a message");
        }

        ring.RunFor(20 * FuzzRing.LatencyNs);
        if (state == 0)
        {
            return ring;
        }

        ring.Isolate(2, true);
        Require(ring.RunUntilState(0, SrpState.Gather, 10_000_000_000), "node 1 never entered GATHER");
        if (state >= 2)
        {
            Require(ring.RunUntilState(0, SrpState.Commit, 10_000_000_000), "node 1 never entered COMMIT");
        }

        if (state >= 3)
        {
            Require(ring.RunUntilState(0, SrpState.Recovery, 10_000_000_000), "node 1 never entered RECOVERY");
        }

        return ring;
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("datagram target set-up: " + what);
        }
    }
}
