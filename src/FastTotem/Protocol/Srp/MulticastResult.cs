namespace FastTotem.Protocol.Srp;

/// <summary>Outcome of <see cref="SrpEngine.TryMulticast(ReadOnlySpan{byte})"/>.</summary>
public enum MulticastResult
{
    /// <summary>Queued; it is sent on a later token visit (corosync queues in every state).</summary>
    Ok,

    /// <summary>The send queue is full (corosync's "queue full"); try again after some tokens.</summary>
    QueueFull,

    /// <summary>The payload is larger than NetMtu − 90 bytes; totempg must fragment it.</summary>
    TooLarge,

    /// <summary>The engine was not started or has left.</summary>
    NotRunning,
}
