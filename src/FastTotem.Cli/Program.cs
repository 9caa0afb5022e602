namespace FastTotem.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        // The tooling verbs live in fasttotem-lab, arguments untouched (its own --help included).
        if (args.Length > 0 && LabForwarder.Verbs.Contains(args[0]))
        {
            return LabForwarder.Exec(args);
        }

        return CommandLineRunner.Run(Commands.Build(), Commands.Program, args);
    }
}
