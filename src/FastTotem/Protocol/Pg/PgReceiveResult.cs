namespace FastTotem.Protocol.Pg;

/// <summary>What the <see cref="PgAssembler"/> did with one mcast payload.</summary>
internal enum PgReceiveResult : byte
{
    /// <summary>Accepted: its complete messages were delivered and any trailing fragment kept.</summary>
    Accepted = 0,

    /// <summary>Dropped because its lengths do not add up (corosync logs and ignores it).</summary>
    Malformed,

    /// <summary>Swallowed by throw-away mode: the sender's fragment numbers did not line up.</summary>
    ThrownAway,

    /// <summary>The message would exceed the 1 MiB + 64 KiB reassembly buffer (corosync asserts); dropped and counted.</summary>
    Oversize,

    /// <summary>More distinct senders than the assembler was sized for; dropped and counted.</summary>
    NoSlot,

    /// <summary>The sender is not a member of the current regular configuration (a forger); dropped and counted.</summary>
    NotMember,
}
