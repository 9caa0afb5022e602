using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace FastTotem.Cli;

/// <summary>
/// Parses and invokes a command tree with fasttotem's exit codes: 0 ok, 1 failure, 2 usage (a parse error, an
/// unknown command or option, no command at all). Usage errors go to stderr, each line named after the command.
/// </summary>
internal static class CommandLineRunner
{
    public const int ExitUsage = 2;

    public static int Run(Command root, string program, string[] args)
    {
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = Console.Error });
            return ExitUsage;
        }

        ParseResult result = root.Parse(LastOccurrenceWins(root, args));
        if (result.Action is ParseErrorAction && result.Errors.Count > 0)
        {
            string name = CommandPath(result.CommandResult, program);
            foreach (ParseError error in result.Errors)
            {
                Console.Error.WriteLine($"{name}: {error.Message}");
            }

            Console.Error.WriteLine($"see '{name} --help'");
            return ExitUsage;
        }

        return result.Invoke();
    }

    /// <summary>
    /// A single-valued option given more than once keeps its last value, as the verbs' own readers and getopt
    /// programs such as native/cpgprobe always did (scripts append an override: <c>... -e 900 -e 901</c>). Earlier
    /// occurrences (<c>-e 900</c>, <c>--expect=900</c>) are dropped before parsing; lists and flags are left alone.
    /// </summary>
    internal static string[] LastOccurrenceWins(Command root, string[] args)
    {
        Command? verb = args.Length > 0 ? root.Subcommands.FirstOrDefault(c => c.Name == args[0] || c.Aliases.Contains(args[0])) : null;
        if (verb == null)
        {
            return args;
        }

        var drop = new bool[args.Length];
        foreach (Option option in verb.Options)
        {
            Type t = option.ValueType;
            if (t == typeof(bool) || (t != typeof(string) && t.IsAssignableTo(typeof(System.Collections.IEnumerable))))
            {
                continue;
            }

            var names = new HashSet<string>(option.Aliases) { option.Name };
            int last = -1;
            for (int i = 1; i < args.Length; i++)
            {
                if (args[i] == "--")
                {
                    break;
                }

                bool joined = names.Any(n => args[i].StartsWith(n + "=", StringComparison.Ordinal) || args[i].StartsWith(n + ":", StringComparison.Ordinal));
                if (!joined && !names.Contains(args[i]))
                {
                    continue;
                }

                if (last >= 0)
                {
                    drop[last] = true;
                    if (!args[last].Contains('=') && !args[last].Contains(':') && last + 1 < args.Length)
                    {
                        drop[last + 1] = true;
                    }
                }

                last = i;
                if (!joined)
                {
                    i++; // its value
                }
            }
        }

        return args.Where((_, i) => !drop[i]).ToArray();
    }

    /// <summary>
    /// The arguments of the invoked command rebuilt from what was parsed: its positional values first, then each
    /// option by its first name with each value it was given, in order. <c>--port=1</c>, <c>-c:x</c>, long aliases and
    /// response files come out in the one spelling the command's own reader knows.
    /// </summary>
    public static string[] Arguments(ParseResult result)
    {
        var args = new List<string>();
        CommandResult command = result.CommandResult;
        foreach (ArgumentResult a in command.Children.OfType<ArgumentResult>())
        {
            args.AddRange(a.Tokens.Select(t => t.Value));
        }

        foreach (OptionResult o in command.Children.OfType<OptionResult>())
        {
            if (o.Implicit)
            {
                continue;
            }

            if (o.Option.ValueType == typeof(bool))
            {
                if (o.GetValueOrDefault<bool>())
                {
                    args.Add(o.Option.Name);
                }

                continue;
            }

            foreach (Token t in o.Tokens)
            {
                args.Add(o.Option.Name);
                args.Add(t.Value);
            }
        }

        return args.ToArray();
    }

    private static string CommandPath(CommandResult command, string program)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r is CommandResult c; r = c.Parent)
        {
            names.Add(c.Parent == null ? program : c.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
