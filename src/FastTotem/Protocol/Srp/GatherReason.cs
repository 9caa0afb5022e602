namespace FastTotem;

/// <summary>
/// Why the engine entered GATHER: corosync's gather_state_from reasons (totemsrp.c), in corosync's order, so a
/// number here is the number corosync logs. Reported by <see cref="TotemNode.GatherEntered"/> (and in
/// <c>fasttotem run --events</c>); the engine counts each reason.
/// </summary>
[BaseLayer]
public enum GatherReason
{
    /// <summary>The consensus timer fired before every node of the proc list answered; the silent ones are now failed.</summary>
    ConsensusTimeout = 0,

    /// <summary>A reason corosync names but never passes; kept so the numbers stay corosync's.</summary>
    Missing = 1,

    /// <summary>No token arrived within the token timeout while OPERATIONAL: a node failed or the network split.</summary>
    TokenLostOperational = 2,

    /// <summary>The token timeout fired while gathering: the second consensus check.</summary>
    ConsensusTimeoutExpired = 3,

    /// <summary>The commit token did not come back within the token timeout.</summary>
    TokenLostCommit = 4,

    /// <summary>The token of the recovery ring was lost before the ring was installed.</summary>
    TokenLostRecovery = 5,

    /// <summary>This node kept holding the ring's aru back for fail_recv_const token visits and declared itself failed.</summary>
    FailedToReceive = 6,

    /// <summary>An mcast of another ring arrived while OPERATIONAL: its sender is to be merged.</summary>
    ForeignMessageOperational = 7,

    /// <summary>An mcast of another ring arrived from a sender not yet in the proc list while gathering.</summary>
    ForeignMessageGather = 8,

    /// <summary>A merge detect of another ring arrived while OPERATIONAL.</summary>
    MergeOperational = 9,

    /// <summary>A merge detect of another ring arrived from a new sender while gathering.</summary>
    MergeGather = 10,

    /// <summary>A join taught this node new members or failures.</summary>
    MergeDuringJoin = 11,

    /// <summary>A join arrived while OPERATIONAL.</summary>
    JoinOperational = 12,

    /// <summary>A join from a member of the forming ring arrived while in COMMIT.</summary>
    JoinCommit = 13,

    /// <summary>A join from a member of the forming ring arrived while in RECOVERY.</summary>
    JoinRecovery = 14,

    /// <summary>The node started (corosync enters GATHER when its interface comes up).</summary>
    InterfaceChange = 15,
}

/// <summary>Short, stable names of <see cref="GatherReason"/> for logs and JSON events.</summary>
internal static class GatherReasonNames
{
    /// <summary>A kebab-case name ("token-lost-operational"), or "reason-N" for a value outside the enum.</summary>
    public static string Name(GatherReason reason) => reason switch
    {
        GatherReason.ConsensusTimeout => "consensus-timeout",
        GatherReason.Missing => "missing",
        GatherReason.TokenLostOperational => "token-lost-operational",
        GatherReason.ConsensusTimeoutExpired => "consensus-timeout-expired",
        GatherReason.TokenLostCommit => "token-lost-commit",
        GatherReason.TokenLostRecovery => "token-lost-recovery",
        GatherReason.FailedToReceive => "failed-to-receive",
        GatherReason.ForeignMessageOperational => "foreign-message-operational",
        GatherReason.ForeignMessageGather => "foreign-message-gather",
        GatherReason.MergeOperational => "merge-operational",
        GatherReason.MergeGather => "merge-gather",
        GatherReason.MergeDuringJoin => "merge-during-join",
        GatherReason.JoinOperational => "join-operational",
        GatherReason.JoinCommit => "join-commit",
        GatherReason.JoinRecovery => "join-recovery",
        GatherReason.InterfaceChange => "interface-change",
        _ => "reason-" + ((int)reason).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
