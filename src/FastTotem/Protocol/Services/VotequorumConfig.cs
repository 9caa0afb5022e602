namespace FastTotem.Protocol.Services;

/// <summary>
/// What votequorum_readconfig takes from corosync.conf, reduced to the features FastTotem supports: the node's
/// votes and expected votes (nodelist quorum_votes, quorum.expected_votes), two_node and wait_for_all. Quorum
/// devices, last_man_standing, auto_tie_breaker, allow_downscale and expected_votes_tracking are not supported.
/// </summary>
internal sealed class VotequorumConfig
{
    public uint NodeId { get; init; }

    /// <summary>This node's quorum_votes (1 unless configured).</summary>
    public uint NodeVotes { get; init; } = 1;

    /// <summary>quorum.expected_votes when set, otherwise the sum of quorum_votes over the nodelist.</summary>
    public uint ExpectedVotes { get; init; }

    /// <summary>Every nodelist id; a nodeinfo about another id is refused (empty: not checked).</summary>
    public uint[] NodeIds { get; init; } = [];

    /// <summary>quorum.two_node.</summary>
    public bool TwoNode { get; init; }

    /// <summary>quorum.wait_for_all; null means "not configured", in which case two_node turns it on.</summary>
    public bool? WaitForAll { get; init; }

    /// <summary>wait_for_all as votequorum_readconfig resolves it (wait_for_all_autoset follows two_node).</summary>
    public bool EffectiveWaitForAll => WaitForAll ?? TwoNode;

    /// <summary>
    /// Mirrors votequorum_readconfig / votequorum_read_nodelist_configuration: votes from our nodelist entry,
    /// expected votes summed over the nodelist, quorum.expected_votes overriding the sum.
    /// </summary>
    public static VotequorumConfig FromNodelist(uint nodeId, ReadOnlySpan<uint> nodeIds, ReadOnlySpan<uint> quorumVotes, uint? quorumExpectedVotes = null, bool twoNode = false, bool? waitForAll = null)
    {
        if (nodeIds.Length != quorumVotes.Length)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(quorumVotes), "one quorum_votes value per node");
        }

        uint sum = 0;
        uint own = 1;
        for (int i = 0; i < nodeIds.Length; i++)
        {
            sum += quorumVotes[i];
            if (nodeIds[i] == nodeId)
            {
                own = quorumVotes[i];
            }
        }

        return new VotequorumConfig
        {
            NodeId = nodeId,
            NodeIds = nodeIds.ToArray(),
            NodeVotes = own,
            ExpectedVotes = quorumExpectedVotes is uint ev && ev != 0 ? ev : sum,
            TwoNode = twoNode,
            WaitForAll = waitForAll,
        };
    }
}
