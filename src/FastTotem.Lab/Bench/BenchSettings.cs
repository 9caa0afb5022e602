namespace FastTotem.Cli.Bench;

/// <summary>The options of <c>fasttotem bench</c>.</summary>
internal sealed class BenchSettings
{
    public int Nodes { get; set; } = 3;

    /// <summary>totem.window_size for every node of both systems; null = the shipped default (50).</summary>
    public int? WindowSize { get; set; }

    /// <summary>totem.netmtu for every node of both systems; null = the shipped default (1500).</summary>
    public int? NetMtu { get; set; }

    /// <summary>totem.max_messages for every node of both systems; null = the shipped default (17).</summary>
    public int? MaxMessages { get; set; }

    public List<int> Sizes { get; set; } = new() { 64, 1024, 8192, 65536 };

    public List<bool> SenderModes { get; set; } = new() { false, true };

    public List<string> Systems { get; set; } = new() { "fasttotem" };

    public int Runs { get; set; } = 1;

    public double WarmupSeconds { get; set; } = 2;

    public double Seconds { get; set; } = 5;

    /// <summary>The fixed-rate latency scenario: one sender, this many msgs/s of <see cref="LatencySize"/> (0 = off).</summary>
    public double LatencyRate { get; set; } = 1000;

    public int LatencySize { get; set; } = 1024;

    /// <summary>"callback" (protocol thread) or "queue" (lock-free delivery queue drained by a host thread).</summary>
    public string Delivery { get; set; } = "callback";

    public string? JsonPath { get; set; }

    /// <summary>bench-compare: write &lt;date&gt;.md, latest.md, latest.svg and latest.json here.</summary>
    public string? ResultsDir { get; set; }

    public bool Latency { get; set; }

    /// <summary>Keep the run directory (configs, logs, state) even when nothing failed.</summary>
    public bool Keep { get; set; }

    /// <summary>--latency: the fixed rates (pings per second) of the ping-pong and one-way scenarios.</summary>
    public List<double> LatencyRates { get; set; } = new() { 1000, 10000 };

    /// <summary>--latency: bytes per ping (the probe header is 32).</summary>
    public int LatencyPingSize { get; set; } = 64;

    public string FastTotemPath { get; set; } = Environment.ProcessPath ?? "fasttotem";

    /// <summary>--baseline: another fasttotem binary (e.g. a build of an older commit), benchmarked as system "baseline".</summary>
    public string? BaselinePath { get; set; }

    /// <summary>--interleave: run by run, each scenario on every system back to back (alternating which goes first).</summary>
    public bool Interleave { get; set; }

    public string CpgProbePath { get; set; } =
        Path.Combine(Path.GetDirectoryName(Environment.ProcessPath) ?? ".", "native", "cpgprobe");
}
