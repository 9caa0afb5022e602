namespace FastTotem.Protocol.Srp;

/// <summary>
/// Which of the engine's two send queues a payload joins (corosync's new_message_queue and new_message_queue_trans).
/// </summary>
internal enum SendLane
{
    /// <summary>Regular traffic. Held back from the moment a new ring is installed until <see cref="SrpEngine.TransAck"/>.</summary>
    Regular,

    /// <summary>Traffic of the synchronisation that follows a new ring: sent while the regular lane is held.</summary>
    Transitional,
}
