namespace FastTotem.Protocol.Srp;

/// <summary>An in-memory <see cref="IRingSeqStore"/> for tests and simulation: one value per store instance.</summary>
internal sealed class MemoryRingSeqStore : IRingSeqStore
{
    public ulong Seq { get; private set; }

    /// <summary>How many times <see cref="Store"/> was called.</summary>
    public int StoreCount { get; private set; }

    public MemoryRingSeqStore(ulong initialSeq = 0) => Seq = initialSeq;

    public ulong Load(uint nodeId) => Seq;

    public void Store(uint nodeId, ulong seq)
    {
        Seq = seq;
        StoreCount++;
    }
}
