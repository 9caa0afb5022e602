namespace FastTotem.Sim;

/// <summary>Builds a node's engine; <paramref name="seqStore"/> is the node's persisted ring seq, kept across restarts.</summary>
internal delegate ISimEngine SimEngineFactory(uint nodeId, uint[] nodeList, SimRingSeqMemory seqStore, SimOptions options);
