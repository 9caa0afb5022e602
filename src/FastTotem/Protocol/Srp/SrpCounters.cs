namespace FastTotem.Protocol.Srp;

/// <summary>What the engine did and what it dropped, by reason (a superset of corosync's totemsrp stats).</summary>
internal sealed class SrpCounters
{
    // Received datagrams by type.
    public long OrfTokenRx;
    public long McastRx;
    public long MergeDetectRx;
    public long JoinRx;
    public long CommitTokenRx;
    public long TokenHoldCancelRx;

    // Sent datagrams by type.
    public long OrfTokenTx;
    public long McastTx;
    public long McastRetransmitTx;
    public long RecoveryMcastTx;
    public long MergeDetectTx;
    public long JoinTx;
    public long CommitTokenTx;
    public long TokenHoldCancelTx;
    public long TokenRetransmits;

    // Drops by reason.
    public long DropTruncated;
    public long DropBadMagic;
    public long DropBadVersion;
    public long DropUnknownType;
    public long DropBadLength;
    public long DropOwnLoopback;
    public long DropForeignRing;
    public long DropDuplicateToken;
    public long DropTooLarge;
    public long DropNotRunning;
    public long TransmitQueueOverflow;

    /// <summary>mcasts in range but refused because the store's byte arena was full (requested again later).</summary>
    public long DropStoreFull;

    // Hostile or impossible input (docs/robustness.md), dropped and counted.
    /// <summary>A commit token that does not fit the membership this node accepted.</summary>
    public long DropBadCommitToken;

    /// <summary>A fresh token of our ring whose seq or aru this ring cannot have produced; never forwarded.</summary>
    public long DropImpossibleToken;

    /// <summary>A join ring_seq (or stored seq) so far above any seq this node persisted or saw in a commit token
    /// that only a forger sends it; ignored for ring-seq arithmetic.</summary>
    public long RingSeqPoisonIgnored;

    /// <summary>A message whose claimed sender is not the node at the address it came from (identity binding), or an
    /// mcast transmitted by a node outside its ring.</summary>
    public long DropMisattributed;

    /// <summary>A message naming a nodeid outside the nodelist (0 included) as a sender or member.</summary>
    public long DropUnlistedNode;

    /// <summary>A datagram from an address outside the nodelist (block_unlisted_ips off), with identity binding on.</summary>
    public long DropUnlistedTransmitter;

    /// <summary>Gathers that never reached consensus and fell back to a singleton ring.</summary>
    public long GatherFallbackSingleton;

    /// <summary>Token visits on which nothing new was sent because the token's seq was behind a seq this node already
    /// held (a forged or replayed mcast ahead of the ring).</summary>
    public long McastBehindToken;

    /// <summary>Datagrams whose magic showed the other byte order (accepted and converted).</summary>
    public long ForeignEndianRx;

    // Protocol events.
    public long Delivered;
    public long GatherEntered;

    /// <summary>GATHER entries by <see cref="GatherReason"/> (indexed by its value); they sum to GatherEntered.</summary>
    public readonly long[] GatherByReason = new long[GatherReasonCount];

    /// <summary>The reason of the last GATHER entry.</summary>
    public GatherReason LastGatherReason;

    /// <summary>Number of <see cref="GatherReason"/> values.</summary>
    public static readonly int GatherReasonCount = Enum.GetValues<GatherReason>().Length;
    public long CommitEntered;
    public long RecoveryEntered;
    public long OperationalEntered;
    public long ConsensusTimeouts;
    public long TokenLostOperational;
    public long TokenLostCommit;
    public long TokenLostRecovery;
    public long FailedToReceive;
    public long RecoveryMessagesOriginated;

    /// <summary>Rings entered with messages stored above my_aru (seqs no member sent: forged or corrupted); not delivered.</summary>
    public long RecoveryMessagesAboveAru;

    /// <summary>Rings this node switched to accelerated mode (docs/accelerated-ring.md).</summary>
    public long AcceleratedRings;

    /// <summary>Token visits whose token left ahead of some of the visit's new multicasts (accelerated mode).</summary>
    public long AcceleratedTokenVisits;

    /// <summary>Seqs a token covered that were not yet counted as missed because they may still be in flight behind an
    /// accelerated token (one per visit that deferred any).</summary>
    public long RtrDeferred;
}
