namespace FastTotem.Hosting.Status;

/// <summary>
/// What <c>fasttotem status</c> shows: a copy of the node's state taken on the protocol thread at one step (so its
/// parts agree with each other), then formatted off that thread by <see cref="StatusFormat"/>.
/// </summary>
internal sealed class NodeStatus
{
    public required uint NodeId { get; init; }

    public required string ClusterName { get; init; }

    public required string Transport { get; init; }

    public required int ProcessId { get; init; }

    public required DateTimeOffset TakenAt { get; init; }

    /// <summary>SRP state: operational, gather, commit or recovery.</summary>
    public required string State { get; init; }

    public required bool Faulted { get; init; }

    public required RingId Ring { get; init; }

    public required MemberStatus[] Members { get; init; }

    public required QuorumStatus Quorum { get; init; }

    public required SyncStatus Sync { get; init; }

    public required CpgGroupStatus[] Groups { get; init; }

    public required NamedCount[] Counters { get; init; }

    /// <summary>Drops by reason, every layer (zeros included, so scripts find every key).</summary>
    public required NamedCount[] Drops { get; init; }

    /// <summary>GATHER entries by corosync's gather_state_from reason.</summary>
    public required NamedCount[] GatherReasons { get; init; }
}

/// <summary>A nodelist entry: in the ring or not, its addresses, and over knet each link's state towards it.</summary>
internal sealed record MemberStatus(uint NodeId, string? Name, bool InRing, bool Local, string[] Addresses, LinkStatus[] Links);

/// <summary>One knet link towards a host (corosync-cfgtool -s / -n).</summary>
internal sealed record LinkStatus(int Link, string Address, bool Connected, int Mtu, long LinkUps, long LinkDowns);

/// <summary>votequorum's figures, as corosync-quorumtool -s prints them.</summary>
internal sealed record QuorumStatus(
    RingId Ring,
    bool Quorate,
    uint ExpectedVotes,
    uint HighestExpected,
    uint TotalVotes,
    uint Quorum,
    uint NodeVotes,
    string[] Flags,
    QuorumMember[] Nodes);

/// <summary>The synchronisation phase: running or not, and the last ring every service synchronised on.</summary>
internal sealed record SyncStatus(bool InProgress, RingId? LastCompleted, long Completed);

/// <summary>A CPG group and its members (corosync-cpgtool).</summary>
internal sealed record CpgGroupStatus(string Name, CpgMemberStatus[] Members);

internal readonly record struct CpgMemberStatus(uint NodeId, uint Pid);

internal readonly record struct NamedCount(string Name, long Value);
