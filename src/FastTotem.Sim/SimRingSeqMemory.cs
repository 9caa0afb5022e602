namespace FastTotem.Sim;

/// <summary>
/// The simulated ringid_&lt;nodeid&gt; files: one persisted ring seq per node that survives a crash and restart
/// (corosync writes it on entering COMMIT), kept in memory.
/// </summary>
internal sealed class SimRingSeqMemory
{
    private readonly ulong[] _seqByNode = new ulong[SimOptions.NodeCountMax + 1];

    public ulong Load(uint nodeId) => nodeId < _seqByNode.Length ? _seqByNode[nodeId] : 0;

    public void Store(uint nodeId, ulong seq)
    {
        if (nodeId >= _seqByNode.Length)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(nodeId), "simulated nodeids are 1..32");
        }

        _seqByNode[nodeId] = seq;
    }
}
