namespace FastTotem.Lab;

/// <summary>
/// <c>fasttotem-lab</c>: the tooling verbs. <c>fasttotem sim|bench|bench-node|bench-latency-node|bench-udp</c> runs
/// this program with the same arguments, so those commands work as typed before the split.
/// </summary>
internal static class Program
{
    private static int Main(string[] args) => LabCommands.Run(args);
}
