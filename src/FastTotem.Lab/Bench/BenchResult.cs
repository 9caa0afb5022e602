namespace FastTotem.Cli.Bench;

/// <summary>What one scenario measured, aggregated over the nodes (NaN where a system has no such figure).</summary>
internal sealed class BenchResult
{
    public required BenchScenario Scenario { get; init; }

    /// <summary>Null when the scenario ran; else why it did not (e.g. "n/a (needs root)").</summary>
    public string? Error { get; init; }

    /// <summary>Messages delivered per second at a node (mean over nodes; the raw UDP receiver for udp).</summary>
    public double MsgsPerSec { get; init; } = double.NaN;

    public double BytesPerSec { get; init; } = double.NaN;

    /// <summary>Messages the senders got accepted per second (summed over senders).</summary>
    public double SentPerSec { get; init; } = double.NaN;

    public double P50Ms { get; init; } = double.NaN;

    public double P99Ms { get; init; } = double.NaN;

    public double P999Ms { get; init; } = double.NaN;

    /// <summary>CPU per node in % of one core (node process, or corosync daemon + cpgprobe).</summary>
    public double CpuPercentPerNode { get; init; } = double.NaN;

    /// <summary>Bytes the managed heap grew by during the window per message sent or delivered (FastTotem only).</summary>
    public double AllocBytesPerMsg { get; init; } = double.NaN;

    /// <summary>Bytes the sending threads allocated in the window (FastTotem only).</summary>
    public double SenderThreadAllocBytes { get; init; } = double.NaN;

    /// <summary>GC collections (all generations, all nodes) in the window; -1 where unknown.</summary>
    public long GcCount { get; init; } = -1;

    public long Gaps { get; init; }

    public long Reorders { get; init; }

    public string Note { get; init; } = "";

    /// <summary>
    /// The most configuration changes one member saw from the start to its report, or new memberships one corosync
    /// daemon logged in the window: 0 when the ring held.
    /// </summary>
    public long RingChanges { get; init; }

    /// <summary>CPU of the corosync daemons on hosts 2..N alone (not their cpgprobe), mean per daemon, % of one core.</summary>
    public double DaemonCpuPercent { get; init; } = double.NaN;

    /// <summary>The busiest of those daemons, % of one core.</summary>
    public double DaemonCpuMaxPercent { get; init; } = double.NaN;

    /// <summary>mcasts the corosync daemons retransmitted in the window (stats.srp.mcast_retx, summed); -1 where unknown.</summary>
    public long DaemonRetransmits { get; init; } = -1;

    /// <summary>CPU µs per message delivered at a node (node process, or corosync + cpgprobe).</summary>
    public double CpuUsPerMsg => CpuPercentPerNode / 100 * 1e6 / MsgsPerSec;

    /// <summary>System calls of the node loops per message delivered at a node (FastTotem only; NaN elsewhere).</summary>
    public double SyscallsPerMsg { get; init; } = double.NaN;

    /// <summary>Packets sent and received by the node loops per message delivered at a node (FastTotem only).</summary>
    public double PacketsPerMsg { get; init; } = double.NaN;

    /// <summary>eventfd wake-ups of the node loops per message delivered at a node (FastTotem only).</summary>
    public double WakeupsPerMsg { get; init; } = double.NaN;
}
