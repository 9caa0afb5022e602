using System.CommandLine;

namespace FastTotem.Lab;

/// <summary>One lab verb: its name, help line and options (a null value name is a flag); NodeProgram marks bench's node programs (started by bench, not typed: fasttotem does not list them).</summary>
internal sealed record LabVerb(string Name, string Description, bool NodeProgram, params (string Name, string? Value, string Help)[] Options);

/// <summary>
/// The lab verbs and their options, in one place for both programs: fasttotem-lab builds its command tree (--help)
/// from it, and the fasttotem command compiles this same file in (it references no lab code) for its command list,
/// the verbs it hands to fasttotem-lab, and bash completion of their options. Each verb's own reader (SimArguments,
/// the bench's) still checks the values and rejects what it does not know.
/// </summary>
internal static class LabVerbTable
{
    public static readonly LabVerb[] Verbs =
    [
        new("sim", "Run one deterministic simulated ring, checked against the Totem guarantees (docs/simulator.md).", false,
            ("--nodes", "N", "ring size, 1 to 32 (default 3)"),
            ("--seed", "S", "seed of every random choice, decimal or 0x-hex (default 1)"),
            ("--duration", "D", "virtual run time: 60s, 500ms, 2m, 1500ns (default 60s)"),
            ("--loss", "P", "per-datagram loss probability during the fault phase"),
            ("--dup", "P", "per-datagram duplication probability"),
            ("--reorder", "P", "per-datagram reordering probability"),
            ("--partitions", null, "random partitions and heals"),
            ("--crashes", null, "random crashes and restarts"),
            ("--clock-drift", "PPM", "clocks run up to PPM fast or slow"),
            ("--pauses", null, "random process/VM pauses"),
            ("--pause-max", "D", "longest pause (default 3s)"),
            ("--one-way", null, "one-way link cuts, clogged links, asymmetric partitions"),
            ("--type-faults", null, "bursts aimed at one message type"),
            ("--replays", null, "genuine old datagrams arrive again"),
            ("--buggify", null, "fault points inside the protocol code"),
            ("--cpg", null, "(whole stack) a CPG process per node"),
            ("--all-faults", null, "every fault above and --cpg"),
            ("--rate", "R", "application messages per node per virtual second (default 10)"),
            ("--token", "MS", "totem token timeout (default 1000)"),
            ("--coefficient", "MS", "token_coefficient (default 50)"),
            ("--payload", "B", "application bytes per message, 8 to 1200 (default 16)"),
            ("--stack", "full|srp", "the whole node machine (default) or SRP alone"),
            ("--srp-only", null, "the same as --stack srp"),
            ("--fault-interval", "D", "mean time between random fault steps (default 2s)"),
            ("--socket-buffer", "N", "datagrams a socket buffer holds (default 0: unbounded)"),
            ("--accelerated", null, "(whole stack) every node runs the accelerated ring")),
        new("bench", "Macro benchmark: FastTotem against corosync and raw UDP in network namespaces (root) or on loopback.", false,
            ("--nodes", "N", "ring size"),
            ("--sizes", "B[,B...]", "message sizes (default 64,1024,8192,65536)"),
            ("--senders", "one,all", "sender modes"),
            ("--systems", "LIST", "fasttotem, fasttotem-rr, fasttotem-unbounded, fasttotem-accel, fasttotem-busy, corosync, corosync-norr, mixed, udp, wire, fasttotem-knet, fasttotem-knet-aes256, corosync-knet, corosync-knet-aes256, baseline"),
            ("--runs", "R", "runs per scenario"),
            ("--warmup", "S", "warm-up seconds"),
            ("--seconds", "S", "measured seconds"),
            ("--rate-latency", "MSGS_PER_S|0", "the fixed-rate latency scenario's rate (0: none)"),
            ("--delivery", "callback|queue", "how FastTotem nodes take deliveries"),
            ("--json", "FILE", "write the results as JSON"),
            ("--results", "DIR", "write the markdown report and chart into DIR"),
            ("--compare", null, "every system, 3 runs, results into bench/results"),
            ("--latency", null, "2 nodes, ping-pong and one-way: C# API, C API, busy-poll, corosync+libcpg"),
            ("--latency-rates", "R[,R...]", "rates of the latency mode"),
            ("--latency-size", "B", "message size of the latency mode"),
            ("--window-size", "N", "totem window_size for every node"),
            ("--max-messages", "M", "totem max_messages for every node"),
            ("--netmtu", "B", "totem netmtu for every node"),
            ("--baseline", "PATH", "another fasttotem binary as the extra system 'baseline'"),
            ("--interleave", null, "every system on one scenario back to back, run by run"),
            ("--keep", null, "keep the run's directory even when everything succeeded"),
            ("--cpgprobe", "PATH", "the cpgprobe program for the corosync systems")),
        // The bench's node programs, started by bench itself.
        new("bench-node", "One FastTotem ring member of bench, in its own process (started by bench).", true),
        new("bench-latency-node", "One node of bench --latency (started by bench).", true),
        new("bench-udp", "The raw-UDP sender or receiver of bench (started by bench).", true),
    ];

    /// <summary>The verbs' names: what fasttotem hands to fasttotem-lab.</summary>
    public static string[] Names => Verbs.Select(v => v.Name).ToArray();

    /// <summary>
    /// A command for <paramref name="verb"/>: its options with their help, unknown tokens left to the verb's own
    /// reader (which rejects them with exit 2), and <paramref name="run"/> as its action when given.
    /// </summary>
    public static Command ToCommand(LabVerb verb, Func<int>? run)
    {
        var command = new Command(verb.Name, verb.Description) { TreatUnmatchedTokensAsErrors = false };
        foreach ((string option, string? value, string help) in verb.Options)
        {
            command.Add(value == null
                ? new Option<bool>(option) { Description = help }
                : new Option<string>(option) { Description = help, HelpName = value });
        }

        if (run != null)
        {
            command.SetAction(_ => run());
        }

        return command;
    }
}
