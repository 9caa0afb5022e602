using FastTotem.Fuzz;
using SharpFuzz;

// The AFL++ runner for the fuzz targets of fuzz/FastTotem.Fuzz.Targets (docs/fuzzing.md).
//   FastTotem.Fuzz TARGET                       under afl-fuzz: the SharpFuzz fork server, input on stdin
//   FastTotem.Fuzz replay TARGET PATH...        every file (or every file in each folder) once; exit 1 on a failure
//   FastTotem.Fuzz seed TARGET DIR [FIXTURES]   writes the starting corpus
//   FastTotem.Fuzz time TARGET DIR [ROUNDS] [fresh]   mean time per input over the folder, uninstrumented
//                                               (fresh: the node targets build their rings per input, no snapshot)
//   FastTotem.Fuzz watch TARGET STATS SECONDS   ./build.sh fuzz's progress line on a terminal, from afl-fuzz's stats
if (args.Length >= 1 && args[0] is "replay" or "seed" or "time" or "watch")
{
    // The assemblies in out/fuzz/bin are instrumented: outside afl-fuzz their branches need a map to write into.
    UseScratchTraceMap();
}

if (args.Length >= 1 && args[0] == "replay" && args.Length >= 3)
{
    return Replay(args[1], args[2..]);
}

if (args.Length >= 3 && args[0] == "seed")
{
    int count = FuzzSeeds.Write(args[1], args[2], args.Length > 3 ? args[3] : null);
    Console.WriteLine($"{count} seeds for {args[1]} in {args[2]}");
    return 0;
}

if (args.Length == 4 && args[0] == "watch" && long.TryParse(args[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long watchSeconds))
{
    return AflProgress.Run(args[1], args[2], watchSeconds);
}

if (args.Length >= 3 && args[0] == "time")
{
    return Time(args[1], args[2], args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 3, args.Length > 4 && args[4] == "fresh");
}

if (args.Length != 1 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: FastTotem.Fuzz TARGET | replay TARGET PATH... | seed TARGET DIR [FIXTURES]; targets: {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}

byte[] buffer = new byte[1 << 20];
IFuzzTarget? target = null;
Fuzzer.Run(stream =>
{
    // Created inside the fork server: a target's constructor may run instrumented code (the knet target builds its
    // ciphers), which needs AFL's shared map to exist.
    target ??= FuzzTargets.Create(args[0])!;
    int length = 0;
    int read;
    while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
    {
        length += read;
    }

    target.Run(buffer.AsSpan(0, length));
});
return 0;

static int Replay(string name, string[] paths)
{
    IFuzzTarget target = FuzzTargets.Create(name) ?? throw new ArgumentException($"unknown target '{name}'");
    var files = new List<string>();
    foreach (string path in paths)
    {
        files.AddRange(Directory.Exists(path) ? Directory.GetFiles(path).Order() : File.Exists(path) ? [path] : []);
    }

    int failures = 0;
    foreach (string file in files)
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine($"{file}: {e}");
        }
    }

    Console.WriteLine($"{name}: {files.Count} inputs, {failures} failed");
    return failures == 0 ? 0 : 1;
}

static int Time(string name, string directory, int rounds, bool fresh)
{
    IFuzzTarget target = FuzzTargets.Create(name, reuse: !fresh) ?? throw new ArgumentException($"unknown target '{name}'");
    byte[][] inputs = Directory.GetFiles(directory).Order().Select(File.ReadAllBytes).ToArray();
    foreach (byte[] input in inputs)
    {
        target.Run(input); // warm-up: the JIT
    }

    long allocated = GC.GetTotalAllocatedBytes(precise: true);
    int collections = GC.CollectionCount(0);
    // CPU time as well as wall time: on the shared machine the wall clock counts other processes' turns too.
    TimeSpan cpuStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    var watch = System.Diagnostics.Stopwatch.StartNew();
    for (int r = 0; r < rounds; r++)
    {
        foreach (byte[] input in inputs)
        {
            target.Run(input);
        }
    }

    double perInput = watch.Elapsed.TotalMilliseconds / Math.Max(1, rounds * inputs.Length);
    double cpuPerInput = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds / Math.Max(1, rounds * inputs.Length);
    double bytesPerInput = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / Math.Max(1, rounds * inputs.Length);
    Console.WriteLine($"{name}{(fresh ? " (fresh)" : "")}: {inputs.Length} inputs x {rounds}: {perInput:F3} ms per input, {1000 / perInput:F0} inputs/s; " +
        $"{cpuPerInput:F3} CPU-ms per input, {1000 / cpuPerInput:F0} per CPU-second; " +
        $"{bytesPerInput:F0} bytes allocated per input, {GC.CollectionCount(0) - collections} gen0 collections");
    if (target is DatagramTarget datagram)
    {
        Console.Write(datagram.DescribeSnapshots());
    }

    return 0;
}

static unsafe void UseScratchTraceMap()
{
    if (SharpFuzz.Common.Trace.SharedMem == null)
    {
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
    }
}
