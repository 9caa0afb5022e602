using FastTotem.Cli.Bench;

namespace FastTotem.Lab;

/// <summary>The lab's verbs, by name.</summary>
internal static class LabCommands
{
    private const string Usage = """
        usage: fasttotem-lab <command> [options]   (also reached as `fasttotem <command>`)
          sim --nodes N --seed S ...        run the deterministic ring simulator
          bench [--compare] [--systems ...] [--sizes ...]   macro benchmark vs corosync and raw UDP
          bench-node, bench-latency-node, bench-udp   the benchmark's node programs (started by bench)
        """;

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        string[] rest = args[1..];
        switch (args[0])
        {
            case "sim":
                return SimCommand.Run(rest);
            case "bench":
                return BenchCommand.Run(rest);
            case "bench-node":
                return BenchNodeCommand.Run(rest);
            case "bench-latency-node":
                return LatencyNodeCommand.Run(rest);
            case "bench-udp":
                return BenchUdpCommand.Run(rest);
            case "-h":
            case "--help":
            case "help":
                Console.WriteLine(Usage);
                return 0;
            default:
                Console.Error.WriteLine($"fasttotem-lab: unknown command '{args[0]}'");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}
