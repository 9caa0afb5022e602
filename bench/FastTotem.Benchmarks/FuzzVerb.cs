using System.Diagnostics;
using System.Globalization;
using FastTotem.Capture;
using FastTotem.Diagnostics;

namespace FastTotem.Benchmarks;

/// <summary><c>fuzz N [SEED]</c>: the long decoder fuzz run (./build.sh fuzz), sharing <see cref="DecoderFuzzer"/> with the tests.</summary>
internal static class FuzzVerb
{
    private const long ProgressEvery = 1_000_000;
    private const long TerminalSlice = 10_000;

    public static int Run(string[] args)
    {
        if (args.Length < 1 || !long.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count < 1)
        {
            Console.Error.WriteLine("usage: FastTotem.Benchmarks fuzz N [SEED]");
            return 2;
        }

        int seed = Environment.TickCount & 0x7FFFFFFF;
        if (args.Length > 1 && !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out seed))
        {
            Console.Error.WriteLine($"fuzz: seed '{args[1]}' is not a non-negative integer");
            return 2;
        }

        var golden = new List<byte[]>();
        foreach (string name in Fixtures.Names)
        {
            foreach (CapturedDatagram datagram in Fixtures.Datagrams(name))
            {
                golden.Add(datagram.Payload);
            }
        }

        (List<byte[]> knetPackets, byte[] knetKey) = Fixtures.KnetPackets();
        var fuzzer = new DecoderFuzzer(golden, seed, knetPackets, knetKey);
        Console.WriteLine($"fuzz: seed {seed} (replay: fuzz {count} {seed}), {golden.Count} golden datagrams, seeds per level "
            + $"{fuzzer.SeedCount(0)}/{fuzzer.SeedCount(1)}/{fuzzer.SeedCount(2)}/{fuzzer.SeedCount(3)}/{fuzzer.SeedCount(4)} (datagram/pg/group/service/knet)");
        var clock = Stopwatch.StartNew();
        // On a terminal, a line rewritten as the inputs go (runs of 10,000); piped, only the stdout line every million.
        TerminalProgress? progress = TerminalProgress.OnTerminal("fuzz: input");
        long slice = progress == null ? ProgressEvery : TerminalSlice;
        for (long done = 0; done < count;)
        {
            long step = Math.Min(slice, Math.Min(count - done, ProgressEvery - done % ProgressEvery));
            fuzzer.Run(step);
            done += step;
            progress?.Report(done, count, string.Create(CultureInfo.InvariantCulture, $"{fuzzer.FailureCount} failures, {done / clock.Elapsed.TotalSeconds:N0} inputs/s"));
            if (done % ProgressEvery == 0 || done == count)
            {
                progress?.Clear();
                Console.WriteLine($"fuzz: {done:N0} inputs, {fuzzer.FailureCount} failures, {done / clock.Elapsed.TotalSeconds:N0} inputs/s");
            }
        }

        Console.WriteLine(fuzzer.Summary());
        foreach (string failure in fuzzer.Failures)
        {
            Console.WriteLine("FAIL " + failure);
        }

        return fuzzer.FailureCount == 0 ? 0 : 1;
    }
}
