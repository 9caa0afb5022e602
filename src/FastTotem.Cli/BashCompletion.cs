using System.CommandLine;
using System.CommandLine.Completions;
using System.Text;

namespace FastTotem.Cli;

/// <summary>
/// A bash completion script written from a command tree: the verbs, each verb's options (every alias), the fixed
/// values of its arguments and options, and file names where an option or argument takes a file. Nothing in it is typed by hand,
/// so a verb or option added to the tree is completed without touching this class.
/// </summary>
internal static class BashCompletion
{
    public static string Script(Command root, string program)
    {
        string function = "_" + program.Replace('-', '_');
        var sb = new StringBuilder();
        sb.Append($"# bash completion for {program}, generated from its command tree: source <({program} completion bash)\n");
        sb.Append($"{function}()\n{{\n");
        sb.Append("    local cur prev verb i\n");
        sb.Append("    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n");
        sb.Append("    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n");
        sb.Append("    verb=\"\"\n");
        sb.Append("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
        sb.Append("        case \"${COMP_WORDS[i]}\" in\n");
        sb.Append("            -*) ;;\n");
        sb.Append("            *) verb=\"${COMP_WORDS[i]}\"; break ;;\n");
        sb.Append("        esac\n");
        sb.Append("    done\n");
        sb.Append("    case \"$verb\" in\n");
        IEnumerable<string> top = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).Concat(Names(root.Options));
        sb.Append($"        \"\")\n            COMPREPLY=($(compgen -W \"{Words(top)}\" -- \"$cur\"))\n            return ;;\n");
        foreach (Command command in root.Subcommands.Where(c => !c.Hidden))
        {
            sb.Append($"        {command.Name})\n");
            var fileOptions = new List<string>();
            var valueOptions = new List<string>();
            var choiceOptions = new List<(string Names, string Values)>();
            foreach (Option o in AllOptions(root, command))
            {
                if (o.Arity.MaximumNumberOfValues == 0 || o.ValueType == typeof(bool))
                {
                    continue;
                }

                string[] values = o.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToArray();
                if (values.Length > 0)
                {
                    choiceOptions.Add((string.Join('|', Names([o])), Words(values)));
                    continue;
                }

                (TakesFile(o.HelpName) ? fileOptions : valueOptions).AddRange(Names([o]));
            }

            if (fileOptions.Count + valueOptions.Count + choiceOptions.Count > 0)
            {
                sb.Append("            case \"$prev\" in\n");
                foreach ((string names, string values) in choiceOptions)
                {
                    sb.Append($"                {names}) COMPREPLY=($(compgen -W \"{values}\" -- \"$cur\")); return ;;\n");
                }

                if (fileOptions.Count > 0)
                {
                    sb.Append($"                {string.Join('|', fileOptions)}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
                }

                if (valueOptions.Count > 0)
                {
                    sb.Append($"                {string.Join('|', valueOptions)}) return ;;\n");
                }

                sb.Append("            esac\n");
            }

            IEnumerable<string> words = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)
                .Concat(Names(AllOptions(root, command)))
                .Concat(command.Arguments.SelectMany(a => a.GetCompletions(CompletionContext.Empty).Select(c => c.Label)));
            sb.Append($"            COMPREPLY=($(compgen -W \"{Words(words)}\" -- \"$cur\"))\n");
            if (command.Arguments.Any(a => TakesFile(a.Name)))
            {
                sb.Append("            [[ \"$cur\" != -* ]] && COMPREPLY+=($(compgen -f -- \"$cur\"))\n");
            }

            sb.Append("            return ;;\n");
        }

        sb.Append("    esac\n}\n");
        sb.Append($"complete -F {function} {program}\n");
        return sb.ToString();
    }

    /// <summary>The command's own options and the root's recursive ones (--help).</summary>
    private static IEnumerable<Option> AllOptions(Command root, Command command) =>
        command.Options.Concat(root.Options.Where(o => o.Recursive && !command.Options.Contains(o))).Where(o => !o.Hidden);

    /// <summary>Every name and alias of the options, without the Windows spellings (/h, -?, /?) a shell would glob.</summary>
    private static IEnumerable<string> Names(IEnumerable<Option> options) =>
        options.Where(o => !o.Hidden).SelectMany(o => new[] { o.Name }.Concat(o.Aliases))
            .Where(n => n.Length > 1 && n[0] == '-' && char.IsAsciiLetter(n.TrimStart('-')[0]));

    /// <summary>A value named FILE, PATH or DIR (also inside "-|FILE") completes with file names.</summary>
    private static bool TakesFile(string? helpName) =>
        helpName != null && (helpName.Contains("FILE", StringComparison.Ordinal) || helpName.Contains("PATH", StringComparison.Ordinal) ||
                             helpName.Contains("DIR", StringComparison.Ordinal));

    private static string Words(IEnumerable<string> words) => string.Join(' ', words.Distinct());
}
