using System.Globalization;

namespace FastTotem.Capture;

/// <summary>Arguments of <c>fasttotem decode FILE [--port N[,N…]]… [--authkey FILE]… [--json]</c>.</summary>
/// <remarks>
/// Without <c>--port</c> (or with just <c>--port 5405</c>) the decoder reads UDP to ports 5405..5412: the Totem
/// port and knet's links 0..7. Each datagram is recognised by its bytes: the Totem magic, a knet header, or
/// (with <c>--authkey</c>) a sealed knet packet.
/// </remarks>
internal sealed record DecodeOptions(string Path, int Port, bool Json)
{
    public const int DefaultPort = 5405;

    /// <summary>knet uses port 5405 + link number, for links 0..7.</summary>
    public const int DefaultPortLast = 5412;

    /// <summary>At most two keys, as libknet holds two crypto configurations.</summary>
    public const int AuthKeyCountMax = 2;

    public const string Usage =
        "usage: fasttotem decode FILE [--port N[,N...]]... [--authkey FILE [--authkey FILE]] [--json]\n" +
        "  --port N       UDP destination ports to read (repeatable, comma lists); default 5405-5412\n" +
        "                 (Totem/udpu on 5405, knet links 0-7 on 5405-5412)\n" +
        "  --authkey FILE corosync authkey to verify and decrypt knet crypto (cipher and hash are\n" +
        "                 detected by HMAC); give it twice to try two keys in turn, as libknet does\n" +
        "  --json         one JSON object per line instead of text";

    private static readonly int[] DefaultPortRange = BuildDefaultPortRange();

    /// <summary>More than one <c>--port</c> value, in order; null when one or none was given (then <see cref="Port"/> rules).</summary>
    public IReadOnlyList<int>? PortList { get; init; }

    /// <summary>The authkey files given with <c>--authkey</c> (at most two), or null.</summary>
    public IReadOnlyList<string>? AuthKeyPaths { get; init; }

    /// <summary>The destination ports read: <see cref="PortList"/>, else 5405..5412 for the default port, else <see cref="Port"/>.</summary>
    public IReadOnlyList<int> Ports => PortList ?? (Port == DefaultPort ? DefaultPortRange : [Port]);

    /// <summary>Parses the arguments after "decode"; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(IReadOnlyList<string> args, out DecodeOptions? options, out string? error)
    {
        options = null;
        error = null;
        string? path = null;
        int port = DefaultPort;
        var ports = new List<int>();
        var keys = new List<string>();
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

                foreach (string item in value.Split(','))
                {
                    if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                    {
                        error = $"--port '{value}' is not a UDP port (1-65535)";
                        return false;
                    }

                    if (!ports.Contains(port))
                    {
                        ports.Add(port);
                    }
                }
            }
            else if (arg == "--authkey" || arg.StartsWith("--authkey=", StringComparison.Ordinal))
            {
                string? value = arg == "--authkey" ? (i + 1 < args.Count ? args[++i] : null) : arg["--authkey=".Length..];
                if (string.IsNullOrEmpty(value))
                {
                    error = "--authkey needs a file";
                    return false;
                }

                if (keys.Count == AuthKeyCountMax)
                {
                    error = $"at most {AuthKeyCountMax} --authkey files (libknet holds two crypto configurations)";
                    return false;
                }

                keys.Add(value);
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

        options = new DecodeOptions(path, ports.Count > 0 ? ports[0] : DefaultPort, json)
        {
            PortList = ports.Count > 1 ? ports : null,
            AuthKeyPaths = keys.Count > 0 ? keys : null,
        };
        return true;
    }

    private static int[] BuildDefaultPortRange()
    {
        var range = new int[DefaultPortLast - DefaultPort + 1];
        for (int i = 0; i < range.Length; i++)
        {
            range[i] = DefaultPort + i;
        }

        return range;
    }
}
