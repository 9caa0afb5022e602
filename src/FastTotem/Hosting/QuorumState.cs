using FastTotem.Hosting;

namespace FastTotem;

/// <summary>One member's votes in a <see cref="QuorumState"/> (a row of <c>corosync-quorumtool -s</c>'s table).</summary>
/// <param name="NodeId">The member's nodeid.</param>
/// <param name="Votes">The votes it casts.</param>
public readonly record struct QuorumMember(uint NodeId, uint Votes);

/// <summary>
/// The cluster's quorum as this node's votequorum service computes it, the figures <c>corosync-quorumtool -s</c>
/// prints: quorate or not, the votes present, the votes expected and the quorum (the votes needed). A new snapshot is
/// published whenever one of them changes (<c>TotemNode.QuorumChanged</c>).
/// </summary>
/// <param name="Quorate">True when the votes present reach the quorum (corosync's "Flags: Quorate").</param>
/// <param name="ExpectedVotes">Expected votes (quorum.expected_votes, or the nodelist's votes; raised to the votes ever seen).</param>
/// <param name="HighestExpected">The highest expected votes any member reports.</param>
/// <param name="TotalVotes">The votes of the members present.</param>
/// <param name="Quorum">The votes needed to be quorate: more than half of the expected votes.</param>
/// <param name="NodeVotes">This node's own votes.</param>
/// <param name="Members">Each member of the quorum ring with its votes, in nodeid order.</param>
/// <param name="RingId">The ring the figures belong to (the ring of the last synchronisation).</param>
public sealed record QuorumState(
    bool Quorate,
    uint ExpectedVotes,
    uint HighestExpected,
    uint TotalVotes,
    uint Quorum,
    uint NodeVotes,
    IReadOnlyList<QuorumMember> Members,
    RingId RingId);
