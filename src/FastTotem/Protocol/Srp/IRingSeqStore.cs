namespace FastTotem.Protocol.Srp;

/// <summary>
/// Ring sequence persistence (corosync's ringid_&lt;nodeid&gt; file, docs/wire-format.md §15). Load returns 0 when nothing
/// was stored. Store is called on every entry to COMMIT.
/// </summary>
internal interface IRingSeqStore
{
    ulong Load(uint nodeId);

    void Store(uint nodeId, ulong seq);
}
