using System.CommandLine;
using System.CommandLine.Help;
using FastTotem.Cli;
using FastTotem.Cli.Bench;

namespace FastTotem.Lab;

/// <summary>
/// fasttotem-lab's command tree (System.CommandLine), built from <see cref="LabVerbTable"/> and run by the fasttotem
/// command's own runner (the same source file): --help for every verb and option, --version, `completion bash`, exit
/// codes 0 ok, 1 failure, 2 usage. Each verb hands its arguments, exactly as typed, to its own reader (SimArguments,
/// the bench's), which checks them and rejects what it does not know with exit 2.
/// </summary>
internal static class LabCommands
{
    public const string Program = "fasttotem-lab";

    public static int Run(string[] args) => CommandLineRunner.Run(Build(args), Program, args);

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
        foreach (LabVerb verb in LabVerbTable.Verbs)
        {
            Func<int> run = verb.Name switch
            {
                "sim" => () => SimCommand.Run(rest),
                "bench" => () => BenchCommand.Run(rest),
                "bench-node" => () => BenchNodeCommand.Run(rest),
                "bench-latency-node" => () => LatencyNodeCommand.Run(rest),
                "bench-udp" => () => BenchUdpCommand.Run(rest),
                _ => throw new InvalidOperationException($"lab verb '{verb.Name}' has no command"),
            };
            root.Add(LabVerbTable.ToCommand(verb, run));
        }

        root.Add(Completion(root));
        return root;
    }

    private static Command Completion(Command root)
    {
        var shell = new Argument<string>("SHELL") { Description = "the shell (bash)" };
        shell.AcceptOnlyFromAmong("bash");
        var command = new Command("completion", $"Print a shell completion script; load it with: source <({Program} completion bash)") { shell };
        command.SetAction(_ =>
        {
            Console.Out.Write(BashCompletion.Script(root, Program));
            return 0;
        });
        return command;
    }
}
