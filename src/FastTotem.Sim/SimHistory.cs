using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>
/// Everything a run recorded, plus the run parameters the checker needs (node count, when faults stopped, the
/// liveness bound). The simulator fills it; checker tests build synthetic histories with the same methods.
/// </summary>
internal sealed class SimHistory
{
    private readonly List<SimRecord> _records = [];
    private readonly List<SimProcess> _processes = [];

    public SimHistory(int nodeCount)
    {
        if (nodeCount < 1 || nodeCount > SimOptions.NodeCountMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(nodeCount), "1 to 32 nodes");
        }

        NodeCount = nodeCount;
    }

    public int NodeCount { get; }

    /// <summary>Virtual time at which the last fault healed (all partitions healed, all crashed nodes restarted, loss off).</summary>
    public long FaultsHealedNs { get; set; }

    /// <summary>How long after FaultsHealedNs every node must be in one ring. 0 disables the liveness check.</summary>
    public long LivenessBoundNs { get; set; }

    /// <summary>When the application stopped multicasting, so the tail of the run is a drain period.</summary>
    public long AppStopNs { get; set; } = long.MaxValue;

    /// <summary>Virtual time at the end of the run.</summary>
    public long EndNs { get; set; }

    /// <summary>Set when the simulator had to cut the run short because virtual time stopped advancing.</summary>
    public string? StallReason { get; set; }

    public long StallNs { get; set; }

    public IReadOnlyList<SimRecord> Records => _records;

    public IReadOnlyList<SimProcess> Processes => _processes;

    public int StartProcess(long timeNs, uint nodeId)
    {
        if (nodeId == 0 || nodeId > NodeCount)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(nodeId), "nodeids are 1..NodeCount");
        }

        int incarnation = 0;
        foreach (SimProcess p in _processes)
        {
            if (p.NodeId == nodeId)
            {
                if (!p.Crashed)
                {
                    Invariant.ThrowInvalidOperation($"node {nodeId} started while its process {p.Index} is alive");
                }

                incarnation++;
            }
        }

        var process = new SimProcess { Index = _processes.Count, NodeId = nodeId, Incarnation = incarnation, StartNs = timeNs };
        _processes.Add(process);
        Add(new SimRecord { TimeNs = timeNs, Kind = SimRecordKind.Start, Process = process.Index, NodeId = nodeId });
        return process.Index;
    }

    public void Crash(long timeNs, int process)
    {
        SimProcess p = _processes[process];
        p.CrashNs = timeNs;
        Add(new SimRecord { TimeNs = timeNs, Kind = SimRecordKind.Crash, Process = process, NodeId = p.NodeId });
    }

    public void Multicast(long timeNs, int process, MessageId id) =>
        Add(new SimRecord
        {
            TimeNs = timeNs, Kind = SimRecordKind.Multicast, Process = process, NodeId = _processes[process].NodeId, Message = id,
        });

    public void Deliver(long timeNs, int process, uint senderNodeId, MessageId id) =>
        Add(new SimRecord
        {
            TimeNs = timeNs, Kind = SimRecordKind.Deliver, Process = process, NodeId = _processes[process].NodeId,
            Message = id, SenderNodeId = senderNodeId,
        });

    public void ConfigChange(long timeNs, int process, SimConfigKind kind, MembRingId ringId, uint[] members,
        uint[]? left = null, uint[]? joined = null) =>
        Add(new SimRecord
        {
            TimeNs = timeNs, Kind = SimRecordKind.ConfigChange, Process = process, NodeId = _processes[process].NodeId,
            ConfigKind = kind, RingId = ringId, Members = members, Left = left ?? [], Joined = joined ?? [],
        });

    public void Note(long timeNs, string text) =>
        Add(new SimRecord { TimeNs = timeNs, Kind = SimRecordKind.Note, Process = -1, Note = text });

    private void Add(SimRecord record)
    {
        if (_records.Count > 0 && record.TimeNs < _records[^1].TimeNs)
        {
            Invariant.ThrowInvalidOperation("history records must be added in time order");
        }

        record.Index = _records.Count;
        _records.Add(record);
        if (record.TimeNs > EndNs)
        {
            EndNs = record.TimeNs;
        }
    }
}
