using FastTotem.Capture;

namespace FastTotem.Cli;

/// <summary><c>fasttotem decode FILE [--port N] [--json]</c>: the work is done by <see cref="TotemCaptureDecoder"/>.</summary>
internal static class DecodeCommand
{
    public static int Run(string[] args)
    {
        // Buffered output: a big capture prints tens of thousands of lines.
        using var output = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
        int exitCode = TotemCaptureDecoder.Run(args, output, Console.Error);
        output.Flush();
        return exitCode;
    }
}
