using FastTotem.Config;
using FastTotem.Hosting.Status;

namespace FastTotem.Cli;

/// <summary>
/// <c>fasttotem status -c corosync.conf [--nodeid N] | --socket PATH [--json]</c>: asks a running node (fasttotem run,
/// or a TotemNode with its status socket open) for its ring, members and links, quorum, synchronisation, CPG groups and
/// counters. Exit 0 with the answer, 1 when the node cannot be asked, 2 for a usage error.
/// </summary>
internal static class StatusCommand
{
    private const string Usage = "usage: fasttotem status (-c corosync.conf [--nodeid N] | --socket PATH) [--json] [--timeout SECONDS]";

    public static int Run(string[] args)
    {
        string? configPath = null;
        string? socket = null;
        uint? nodeId = null;
        bool json = false;
        double timeoutS = 5;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "-c":
                case "--config":
                    configPath = Next();
                    break;
                case "--nodeid":
                    if (!uint.TryParse(Next(), out uint n) || n == 0)
                    {
                        return Fail("--nodeid needs a positive whole number");
                    }

                    nodeId = n;
                    break;
                case "--socket":
                    socket = Next();
                    break;
                case "--json":
                    json = true;
                    break;
                case "--timeout":
                    if (!double.TryParse(Next(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out timeoutS)
                        || timeoutS <= 0 || timeoutS > 3600)
                    {
                        return Fail("--timeout needs seconds, more than 0 and at most 3600");
                    }

                    break;
                case "-h":
                case "--help":
                    Console.WriteLine(Usage);
                    return 0;
                default:
                    return Fail($"unknown argument '{a}'");
            }
        }

        if ((configPath == null) == (socket == null))
        {
            return Fail("give either -c corosync.conf or --socket PATH");
        }

        try
        {
            socket ??= StatusClient.SocketPathFor(configPath!, nodeId);
            string answer = StatusClient.Query(socket, json ? "json" : "text", TimeSpan.FromSeconds(timeoutS));
            if (answer.StartsWith("error:", StringComparison.Ordinal))
            {
                Console.Error.Write($"fasttotem status: {socket}: {answer}");
                return 1;
            }

            Console.Out.Write(answer);
            return 0;
        }
        catch (CorosyncConfigException e)
        {
            Console.Error.WriteLine($"fasttotem status: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is StatusUnavailableException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"fasttotem status: {e.Message}");
            return 1;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"fasttotem status: {message}");
        Console.Error.WriteLine(Usage);
        return 2;
    }
}
