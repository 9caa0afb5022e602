namespace FastTotem.Sim;

/// <summary>The Totem guarantees the checker verifies over a run's history.</summary>
internal enum Guarantee
{
    /// <summary>(1) Any two processes deliver their common messages in the same order.</summary>
    AgreedOrder,
    /// <summary>(2) No duplicates, and every delivered message was multicast by its originator.</summary>
    Integrity,
    /// <summary>(3) Processes that move together from one regular configuration to the next delivered the same set in the old one.</summary>
    VirtualSynchrony,
    /// <summary>(4) A process delivers its own messages unless it crashes first.</summary>
    SelfDelivery,
    /// <summary>(5) All members of a regular configuration report the same ring id and member list; ring seqs only grow.</summary>
    ConfigAgreement,
    /// <summary>(6) After the last fault heals, one ring of all nodes forms within the bound and pending messages are delivered.</summary>
    Liveness,
    /// <summary>
    /// (7) A process delivers a message only from a member of its current configuration (the last regular one it
    /// installed; a transitional one is a subset of it), and only after it installed one: a genuine datagram of an
    /// earlier ring that the network delivers again must not come out in a later one.
    /// </summary>
    SenderMembership,
}
