using System.Globalization;

namespace FastTotem.Capture;

/// <summary>Arguments of <c>fasttotem decode FILE [--port N] [--json]</c>.</summary>
public sealed record DecodeOptions(string Path, int Port, bool Json)
{
    public const int DefaultPort = 5405;

    public const string Usage = "usage: fasttotem decode FILE [--port N] [--json]";

    /// <summary>Parses the arguments after "decode"; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(IReadOnlyList<string> args, out DecodeOptions? options, out string? error)
    {
        options = null;
        error = null;
        string? path = null;
        int port = DefaultPort;
        bool json = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--json")
            {
                json = true;
            }
            else if (arg == "--port" || arg.StartsWith("--port=", StringComparison.Ordinal))
            {
                string? value = arg == "--port" ? (i + 1 < args.Count ? args[++i] : null) : arg["--port=".Length..];
                if (value is null)
                {
                    error = "--port needs a value";
                    return false;
                }

                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                {
                    error = $"--port '{value}' is not a UDP port (1-65535)";
                    return false;
                }
            }
            else if (arg.StartsWith('-') && arg != "-")
            {
                error = $"unknown option '{arg}'";
                return false;
            }
            else if (path is null)
            {
                path = arg;
            }
            else
            {
                error = $"only one capture file, got '{path}' and '{arg}'";
                return false;
            }
        }

        if (path is null)
        {
            error = "no capture file given";
            return false;
        }

        options = new DecodeOptions(path, port, json);
        return true;
    }
}
