using System.Runtime.InteropServices;

namespace FastTotem.Cli;

/// <summary>
/// The tooling verbs (<c>sim</c>, <c>bench</c> and the bench's node programs) live in the separate <c>fasttotem-lab</c>
/// executable, so the product binary carries no simulator or benchmark code. <c>fasttotem sim ...</c> replaces this
/// process with <c>fasttotem-lab sim ...</c> (execv): same PID, same stdout/stderr, the lab's exit code.
/// </summary>
internal static partial class LabForwarder
{
    /// <summary>The verbs fasttotem hands to the lab.</summary>
    public static readonly string[] Verbs = FastTotem.Lab.LabVerbTable.Names;

    /// <summary>Environment variable naming the lab executable, for a build that keeps it elsewhere.</summary>
    public const string PathVariable = "FASTTOTEM_LAB";

    /// <summary>Runs the lab with <paramref name="args"/> in place of this process; returns only on failure.</summary>
    public static int Exec(string[] args)
    {
        string? lab = Find();
        if (lab == null)
        {
            Console.Error.WriteLine($"fasttotem: '{args[0]}' is a lab verb and needs the fasttotem-lab program next to fasttotem ({AppContext.BaseDirectory}) or in ${PathVariable}; ./build.sh publishes it to out/");
            return 1;
        }

        Console.Out.Flush();
        Console.Error.Flush();
        string?[] argv = new string?[args.Length + 2];
        argv[0] = lab;
        Array.Copy(args, 0, argv, 1, args.Length);
        argv[^1] = null;
        Execv(lab, argv);
        int errno = Marshal.GetLastPInvokeError();
        Console.Error.WriteLine($"fasttotem: cannot run {lab}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return 1;
    }

    /// <summary>$FASTTOTEM_LAB, else fasttotem-lab or FastTotem.Lab beside this program.</summary>
    public static string? Find()
    {
        string? fromEnv = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : null;
        }

        foreach (string name in new[] { "fasttotem-lab", "FastTotem.Lab" })
        {
            string path = Path.Combine(AppContext.BaseDirectory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "execv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Execv(string path, string?[] argv);
}
