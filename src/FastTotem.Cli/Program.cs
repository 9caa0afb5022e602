namespace FastTotem.Cli;

internal static class Program
{
    private const string Usage = """
        usage: fasttotem <command> [options]
          demo [--seconds N] [--size B] [--rate R]   a 3-node ring on loopback in this process
          cpg -c corosync.conf [-g GROUP] [-s SIZE] [-n COUNT] ...   a CPG member (native/cpgprobe's twin)
          decode FILE [--port N[,N...]] [--authkey FILE]... [--json]   decode the Totem (udpu/udp/knet) and knet packets of a pcap/pcapng capture
          sim --nodes N --seed S ...        run the deterministic ring simulator
          run -c corosync.conf [--nodeid N] [--events -|FILE] [--drops MS]   run a ring member
          bench [--compare] [--systems ...] [--sizes ...]   macro benchmark vs corosync and raw UDP
        """;

    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        string[] rest = args[1..];
        switch (args[0])
        {
            case "decode":
                return DecodeCommand.Run(rest);
            case "run":
                return RunCommand.Run(rest);
            case "demo":
                return DemoCommand.Run(rest);
            case "cpg":
                return CpgCommand.Run(rest);
            case "sim" or "bench" or "bench-node" or "bench-latency-node" or "bench-udp":
                return LabForwarder.Exec(args);
            case "-h":
            case "--help":
            case "help":
                Console.WriteLine(Usage);
                return 0;
            default:
                Console.Error.WriteLine($"fasttotem: unknown command '{args[0]}'");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}
