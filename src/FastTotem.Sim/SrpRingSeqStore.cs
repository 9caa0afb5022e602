using FastTotem.Protocol.Srp;

namespace FastTotem.Sim;

/// <summary>Presents the simulator's in-memory ring seq memory to an engine as its IRingSeqStore.</summary>
internal sealed class SrpRingSeqStore(SimRingSeqMemory memory) : IRingSeqStore
{
    public ulong Load(uint nodeId) => memory.Load(nodeId);

    public void Store(uint nodeId, ulong seq) => memory.Store(nodeId, seq);
}
