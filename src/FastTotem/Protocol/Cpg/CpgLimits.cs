namespace FastTotem.Protocol.Cpg;

/// <summary>The fixed capacities of a <see cref="CpgService"/>, all allocated at construction.</summary>
internal sealed class CpgLimits
{
    /// <summary>libcpg's piece size: a message longer than this goes out as partial_mcast pieces of this size.</summary>
    public const int PieceLengthMax = 1024 * 1024 - 1024;

    /// <summary>Distinct group names known at once (ours and other nodes').</summary>
    public int GroupCountMax { get; init; } = 1024;

    /// <summary>Processes known cluster-wide (process_info entries) and joinlist entries stored per sync round.</summary>
    public int ProcessCountMax { get; init; } = 4096;

    /// <summary>
    /// Processes of one other node known at once (its share of <see cref="ProcessCountMax"/> and of a sync round's
    /// joinlist entries), so that one node, or forged traffic in its name, cannot fill the tables for all.
    /// </summary>
    public int ProcessesPerNodeMax { get; init; } = 1024;

    /// <summary>Local processes (joined handles) at once.</summary>
    public int LocalProcessCountMax { get; init; } = 256;

    /// <summary>Longest application message we send or reassemble.</summary>
    public int MessageLengthMax { get; init; } = 4 * 1024 * 1024;

    /// <summary>partial_mcast messages being put back together at once (per sender node, pid and group).</summary>
    public int PartialSlotCount { get; init; } = 4;

    /// <summary>Events waiting to be polled.</summary>
    public int EventCountMax { get; init; } = 8192;

    /// <summary>Bytes for the data of waiting events (group names, message data, confchg lists).</summary>
    public int EventDataBytes { get; init; } = 8 * 1024 * 1024 + 256 * 1024;

    public static CpgLimits Default { get; } = new();
}
