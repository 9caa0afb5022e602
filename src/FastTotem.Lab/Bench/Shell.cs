using System.Diagnostics;

namespace FastTotem.Cli.Bench;

/// <summary>
/// Runs a short command (ip, nft, uname…) to completion and returns its output. Shared by the bench's namespaces
/// lab and the interop tests' lab (linked into FastTotem.Interop), so both set up networks the same way.
/// </summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="program"/>; a non-zero exit is an exception naming the command and its stderr.</summary>
    public static string Run(string program, params string[] args)
    {
        (int code, string output, string error) = TryRun(program, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {error.Trim()}");
        }

        return output;
    }

    /// <summary>Runs <paramref name="program"/> for at most 30 s and returns its exit code (−1 on timeout) and output.</summary>
    public static (int Code, string Output, string Error) TryRun(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            return (-1, stdout.Result, "timed out");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
