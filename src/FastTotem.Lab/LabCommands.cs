using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using FastTotem.Cli.Bench;

namespace FastTotem.Lab;

/// <summary>
/// fasttotem-lab's command tree (System.CommandLine): --help for every verb and option, --version, exit codes 0 ok,
/// 1 failure, 2 usage. Each verb hands its arguments, exactly as typed, to its own reader (SimArguments, the bench's),
/// which checks them and rejects what it does not know with exit 2; so an option a verb's reader learns works here
/// at once, even before it is listed below.
/// </summary>
internal static class LabCommands
{
    public const string Program = "fasttotem-lab";

    public static int Run(string[] args)
    {
        Command root = Build(args);
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = Console.Error });
            return 2;
        }

        ParseResult result = root.Parse(args);
        if (result.Action is ParseErrorAction && result.Errors.Count > 0)
        {
            string name = result.CommandResult.Parent == null ? Program : $"{Program} {result.CommandResult.Command.Name}";
            foreach (ParseError error in result.Errors)
            {
                Console.Error.WriteLine($"{name}: {error.Message}");
            }

            Console.Error.WriteLine($"see '{name} --help'");
            return 2;
        }

        return result.Invoke();
    }

    /// <summary>A plain root named fasttotem-lab (usage lines name it, not FastTotem.Lab) with --help and --version.</summary>
    private static Command Build(string[] args)
    {
        // The verb's reader gets everything after the verb, untouched.
        string[] rest = args.Length > 0 ? args[1..] : [];
        var root = new Command(Program, "fasttotem-lab: FastTotem's tooling (simulator, benchmark and its node programs); `fasttotem sim|bench ...` runs it. Exit codes: 0 ok, 1 failure (a violation, a failed run), 2 usage.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Add(Verb("sim", "Run one deterministic simulated ring, checked against the Totem guarantees (docs/simulator.md).", () => SimCommand.Run(rest),
            ("--nodes", "N", "ring size, 1 to 32 (default 3)"),
            ("--seed", "S", "seed of every random choice, decimal or 0x-hex (default 1)"),
            ("--duration", "D", "virtual run time: 60s, 500ms, 2m, 1500ns (default 60s)"),
            ("--loss", "P", "per-datagram loss probability during the fault phase"),
            ("--dup", "P", "per-datagram duplication probability"),
            ("--reorder", "P", "per-datagram reordering probability"),
            ("--partitions", null, "random partitions and heals"),
            ("--crashes", null, "random crashes and restarts"),
            ("--clock-drift", "PPM", "clocks run up to PPM fast or slow"),
            ("--pauses", null, "random process/VM pauses"),
            ("--pause-max", "D", "longest pause (default 3s)"),
            ("--one-way", null, "one-way link cuts, clogged links, asymmetric partitions"),
            ("--type-faults", null, "bursts aimed at one message type"),
            ("--replays", null, "genuine old datagrams arrive again"),
            ("--buggify", null, "fault points inside the protocol code"),
            ("--cpg", null, "(whole stack) a CPG process per node"),
            ("--all-faults", null, "every fault above and --cpg"),
            ("--rate", "R", "application messages per node per virtual second (default 10)"),
            ("--token", "MS", "totem token timeout (default 1000)"),
            ("--coefficient", "MS", "token_coefficient (default 50)"),
            ("--payload", "B", "application bytes per message, 8 to 1200 (default 16)"),
            ("--stack", "full|srp", "the whole node machine (default) or SRP alone"),
            ("--srp-only", null, "the same as --stack srp"),
            ("--fault-interval", "D", "mean time between random fault steps (default 2s)"),
            ("--socket-buffer", "N", "datagrams a socket buffer holds (default 0: unbounded)")));
        root.Add(Verb("bench", "Macro benchmark: FastTotem against corosync and raw UDP in network namespaces (root) or on loopback.", () => BenchCommand.Run(rest),
            ("--nodes", "N", "ring size"),
            ("--sizes", "B[,B...]", "message sizes (default 64,1024,8192,65536)"),
            ("--senders", "one,all", "sender modes"),
            ("--systems", "LIST", "fasttotem, fasttotem-rr, fasttotem-unbounded, fasttotem-accel, fasttotem-busy, corosync, corosync-norr, mixed, udp, wire, fasttotem-knet, fasttotem-knet-aes256, corosync-knet, corosync-knet-aes256, baseline"),
            ("--runs", "R", "runs per scenario"),
            ("--warmup", "S", "warm-up seconds"),
            ("--seconds", "S", "measured seconds"),
            ("--rate-latency", "MSGS_PER_S|0", "the fixed-rate latency scenario's rate (0: none)"),
            ("--delivery", "callback|queue", "how FastTotem nodes take deliveries"),
            ("--json", "FILE", "write the results as JSON"),
            ("--results", "DIR", "write the markdown report and chart into DIR"),
            ("--compare", null, "every system, 3 runs, results into bench/results"),
            ("--latency", null, "2 nodes, ping-pong and one-way: C# API, C API, busy-poll, corosync+libcpg"),
            ("--latency-rates", "R[,R...]", "rates of the latency mode"),
            ("--latency-size", "B", "message size of the latency mode"),
            ("--window-size", "N", "totem window_size for every node"),
            ("--max-messages", "M", "totem max_messages for every node"),
            ("--netmtu", "B", "totem netmtu for every node"),
            ("--baseline", "PATH", "another fasttotem binary as the extra system 'baseline'"),
            ("--interleave", null, "every system on one scenario back to back, run by run"),
            ("--keep", null, "keep the run's directory even when everything succeeded"),
            ("--cpgprobe", "PATH", "the cpgprobe program for the corosync systems")));
        // The bench's node programs, started by bench itself (listed: a hidden command has no --help).
        root.Add(Verb("bench-node", "One FastTotem ring member of bench, in its own process (started by bench).", () => BenchNodeCommand.Run(rest)));
        root.Add(Verb("bench-latency-node", "One node of bench --latency (started by bench).", () => LatencyNodeCommand.Run(rest)));
        root.Add(Verb("bench-udp", "The raw-UDP sender or receiver of bench (started by bench).", () => BenchUdpCommand.Run(rest)));
        return root;
    }

    private static Command Verb(string name, string description, Func<int> run, params (string Name, string? Value, string Help)[] options)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        foreach ((string option, string? value, string help) in options)
        {
            command.Add(value == null
                ? new Option<bool>(option) { Description = help }
                : new Option<string>(option) { Description = help, HelpName = value });
        }

        command.SetAction(_ => run());
        return command;
    }
}
