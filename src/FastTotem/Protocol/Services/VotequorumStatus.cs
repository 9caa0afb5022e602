namespace FastTotem.Protocol.Services;

/// <summary>The quorum state as corosync-quorumtool reports it (votequorum's view on this node).</summary>
internal readonly record struct VotequorumStatus(
    uint ExpectedVotes,
    uint HighestExpected,
    uint TotalVotes,
    uint Quorum,
    bool Quorate,
    int MemberCount,
    uint Flags);
