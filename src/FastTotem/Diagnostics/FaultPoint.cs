namespace FastTotem.Diagnostics;

/// <summary>
/// The places inside the protocol code where a simulation may force a rarely taken but handled path (BUGGIFY in
/// FoundationDB's words): each is a case the code must already survive, a full queue or store, never a corruption.
/// </summary>
internal enum FaultPoint : byte
{
    /// <summary>SrpEngine.TryMulticast answers QueueFull (totemsrp's new-message queue is full).</summary>
    SrpSendQueueFull,

    /// <summary>A received mcast finds the message store full (not for the next seq, which keeps its reserve): dropped and requested again.</summary>
    SrpStoreFull,

    /// <summary>Flow control allows fewer new messages on this token visit than fcc_calculate would (a window shrunk by others' backlog).</summary>
    SrpWindowShrunk,

    /// <summary>totempg's packer finds its send queue full when the token comes: the packed small messages wait a visit.</summary>
    PackerQueueFullAtToken,

    /// <summary>totempg's packer answers TryAgain to a message (its queue has no room): the sender keeps it and tries later.</summary>
    PackerFull,
}
