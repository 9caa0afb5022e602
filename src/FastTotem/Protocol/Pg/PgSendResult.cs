namespace FastTotem.Protocol.Pg;

/// <summary>Outcome of handing a message to the <see cref="PgPacker"/>.</summary>
public enum PgSendResult : byte
{
    /// <summary>The message is packed or queued; it will leave with the next token visits.</summary>
    Queued = 0,

    /// <summary>The send queue has no room for all the mcasts this message needs. Nothing was taken; try again later.</summary>
    TryAgain,

    /// <summary>
    /// The message is refused: it is larger than a receiver's reassembly buffer (1 MiB + 64 KiB), or it needs
    /// more payloads than the whole send queue holds.
    /// </summary>
    TooLarge,
}
