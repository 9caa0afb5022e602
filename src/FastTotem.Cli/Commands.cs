using System.CommandLine;
using System.CommandLine.Help;

namespace FastTotem.Cli;

/// <summary>
/// The fasttotem command tree: every verb and option with its help text. It is the one source of --help, of
/// `fasttotem completion bash`, and of the check that rejects an unknown option (exit 2). Each verb's action hands
/// the parsed arguments, in one spelling, to that verb's reader, which checks ranges and combinations.
/// </summary>
internal static class Commands
{
    public const string Program = "fasttotem";

    /// <summary>
    /// The tree. Its root is a plain command named fasttotem with --help (every verb inherits it) and --version, so
    /// usage lines say "fasttotem run", not the name of the program behind the fasttotem link.
    /// </summary>
    public static Command Build()
    {
        var root = new Command(Program, 
            "FastTotem: a corosync 3.1 Totem member in C#. Exit codes: 0 ok, 1 failure, 2 usage; " +
            "run also 3 (gave up restarting after faults) and 4 (the cluster changed its crypto).")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Add(Run());
        root.Add(Demo());
        root.Add(Cpg());
        root.Add(Decode());
        root.Add(Status());
        root.Add(Completion(root));
        foreach (Command lab in LabVerbs())
        {
            root.Add(lab);
        }

        return root;
    }

    private static Command Run()
    {
        var command = new Command("run", "Run a ring member from corosync.conf until SIGINT/SIGTERM, then leave the ring as corosync does.")
        {
            new Option<string>("--config", "-c") { Description = "the corosync.conf to run (the daemons' own file)", HelpName = "FILE" },
            new Option<uint>("--nodeid") { Description = "this node's nodeid (default: the nodelist entry with one of this host's addresses)", HelpName = "N" },
            new Option<string>("--events") { Description = "write membership, sync and gather events as JSON lines to FILE, or '-' for stdout", HelpName = "-|FILE" },
            new Option<int>("--drops") { Description = "every MS milliseconds, write the drop counters as a 'drops' event when one moved (needs --events)", HelpName = "MS" },
            new Option<string>("--cpg") { Description = "join CPG group GROUP, multicast each stdin line to it and print every delivery", HelpName = "GROUP" },
            LogLevelOption(),
        };
        command.SetAction(r => RunCommand.Run(CommandLineRunner.Arguments(r)));
        return command;
    }

    /// <summary>run's --log-level: the node's log lines on stderr from this level up (default information).</summary>
    private static Option<string> LogLevelOption()
    {
        var option = new Option<string>("--log-level")
        {
            Description = "log the node's control plane (membership, sync, faults, drops) on stderr from LEVEL up: " +
                          "trace, debug, information (default), warning, error, critical or none",
            HelpName = "LEVEL",
        };
        option.AcceptOnlyFromAmong("trace", "debug", "information", "info", "warning", "warn", "error", "critical", "none");
        return option;
    }

    private static Command Status()
    {
        var command = new Command("status", "Ask a running node over its local socket: ring, members and links, quorum, sync, CPG groups, counters.")
        {
            new Option<string>("--config", "-c") { Description = "the corosync.conf the node runs from (finds its socket as run finds its node)", HelpName = "FILE" },
            new Option<uint>("--nodeid") { Description = "the node's nodeid (default: the nodelist entry with one of this host's addresses)", HelpName = "N" },
            new Option<string>("--socket") { Description = "the node's status socket (<state_dir>/fasttotem-<nodeid>.sock)", HelpName = "PATH" },
            new Option<bool>("--json") { Description = "one JSON object instead of text" },
            new Option<double>("--timeout") { Description = "seconds to wait for the answer (default 5)", HelpName = "SECONDS" },
        };
        command.SetAction(r => StatusCommand.Run(CommandLineRunner.Arguments(r)));
        return command;
    }

    private static Command Demo()
    {
        var command = new Command("demo", "A 3-node ring on loopback in this process: membership, ordered traffic, a node leaving. No root, no corosync.")
        {
            new Option<int>("--seconds") { Description = "seconds of traffic, 1 to 600 (default 3)", HelpName = "N" },
            new Option<int>("--size") { Description = "message size in bytes (default 256)", HelpName = "BYTES" },
            new Option<int>("--rate") { Description = "messages per second per node (default 2000)", HelpName = "MSGS_PER_S" },
            new Option<int>("--port") { Description = "UDP port (default: a free one)", HelpName = "N" },
        };
        command.SetAction(r => DemoCommand.Run(CommandLineRunner.Arguments(r)));
        return command;
    }

    private static Command Cpg()
    {
        // The short names are native/cpgprobe's (its twin); the long ones are aliases.
        var command = new Command("cpg", "A CPG member on a FastTotem node: native/cpgprobe's twin (same options, message format and output).")
        {
            new Option<string>("-c", "--config") { Description = "the corosync.conf to run", HelpName = "FILE" },
            new Option<uint>("--nodeid") { Description = "this node's nodeid (default: found by address)", HelpName = "N" },
            new Option<int>("--wait-ring") { Description = "wait until the ring has NODES members before joining", HelpName = "NODES" },
            new Option<string>("-g", "--group") { Description = "CPG group name, 1 to 127 bytes (default fasttotem)", HelpName = "GROUP" },
            new Option<string>("-s", "--size") { Description = "message size in bytes, or a comma list sent in turn (default 64)", HelpName = "SIZE[,SIZE...]" },
            new Option<double>("-r", "--rate") { Description = "messages per second (0: as fast as flow control allows)", HelpName = "RATE" },
            new Option<long>("-n", "--count") { Description = "messages to send (0: none)", HelpName = "COUNT" },
            new Option<int>("-m", "--members") { Description = "wait until the group has MEMBERS members before sending", HelpName = "MEMBERS" },
            new Option<double>("-t", "--seconds") { Description = "stop after SECONDS", HelpName = "SECONDS" },
            new Option<long>("-e", "--expect") { Description = "stop after EXPECT deliveries", HelpName = "EXPECT" },
            new Option<bool>("-v", "--verbose") { Description = "print every delivery" },
        };
        command.SetAction(r => CpgCommand.Run(CommandLineRunner.Arguments(r)));
        return command;
    }

    private static Command Decode()
    {
        var command = new Command("decode", "Decode the Totem (udpu/udp/knet) and knet packets of a pcap or pcapng capture.")
        {
            new Argument<string>("FILE") { Description = "the capture file ('-' for stdin)", Arity = ArgumentArity.ZeroOrOne },
            new Option<string[]>("--port") { Description = "UDP destination ports to read (repeatable, comma lists); default 5405-5412", HelpName = "N[,N...]" },
            new Option<string[]>("--authkey") { Description = "corosync authkey to open knet crypto with; give it twice to try two keys", HelpName = "FILE" },
            new Option<bool>("--json") { Description = "one JSON object per line instead of text" },
        };
        command.SetAction(r => DecodeCommand.Run(CommandLineRunner.Arguments(r)));
        return command;
    }

    private static Command Completion(Command root)
    {
        var shell = new Argument<string>("SHELL") { Description = "the shell (bash)" };
        shell.AcceptOnlyFromAmong("bash");
        var command = new Command("completion", "Print a shell completion script; load it with: source <(fasttotem completion bash)") { shell };
        command.SetAction(_ =>
        {
            Console.Out.Write(BashCompletion.Script(root, Program));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The tooling verbs: they run in fasttotem-lab (Program.cs hands them over before parsing), so here they exist for
    /// the command list and completion only, with the options of the lab's own table; `fasttotem sim --help` is the
    /// lab's help. Bench's node programs are handed over too but not listed.
    /// </summary>
    private static IEnumerable<Command> LabVerbs()
    {
        foreach (FastTotem.Lab.LabVerb verb in FastTotem.Lab.LabVerbTable.Verbs)
        {
            Command command = FastTotem.Lab.LabVerbTable.ToCommand(verb, run: null);
            command.Hidden = verb.NodeProgram;
            yield return command;
        }
    }
}
