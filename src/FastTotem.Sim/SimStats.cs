namespace FastTotem.Sim;

/// <summary>Counters of one run, for the summary and for tests that a fault really happened.</summary>
internal sealed class SimStats
{
    public long Events;
    public long DatagramsSent;
    public long DatagramsArrived;
    public long DroppedLoss;
    public long DroppedPartition;
    public long DroppedFilter;
    public long DroppedNodeDown;
    public long Duplicated;
    public long Reordered;
    public long BadDestination;
    public long Injected;
    public long ReadBatches;
    public long LargestReadBatch;
    public long Multicasts;
    public long MulticastsRejected;
    public long Deliveries;
    public long ConfigChanges;
    public long RegularConfigs;
    public long Crashes;
    public long Restarts;
    public long Partitions;
    public long Heals;
    public long DroppedOneWay;
    public long DelayedClog;
    public long DroppedTypeFault;
    public long DelayedTypeFault;
    public long DroppedSocketBuffer;
    public long Replayed;
    public long Pauses;
    public long DriftChanges;
    public long LinkCuts;
    public long TypeBursts;
    public long FaultPointHits;
    public long CpgDeliveries;
    public long CpgConfigChanges;

    /// <summary>Synchronisations that ended with the ring accelerated (<c>--accelerated</c>), counted per node.</summary>
    public long AcceleratedSyncs;
}
