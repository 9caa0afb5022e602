namespace FastTotem.Wire;

/// <summary>
/// Why a datagram or an inner message could not be decoded. Decoders return these instead of
/// throwing, so a receiver can count each kind of bad input and move on.
/// </summary>
internal enum WireError : byte
{
    None = 0,
    /// <summary>Shorter than the fixed part of its structure.</summary>
    Truncated,
    /// <summary>Magic is neither 0xC070 nor its byte swap.</summary>
    BadMagic,
    /// <summary>Version is not 3.</summary>
    BadVersion,
    /// <summary>Type is not 0–5.</summary>
    UnknownType,
    /// <summary>A list count exceeds the protocol maximum (30 rtr items, 384 members, 128 services, …).</summary>
    CountTooLarge,
    /// <summary>A list count or length field points past the end of the buffer.</summary>
    CountBeyondPacket,
    /// <summary>Lengths do not add up to the buffer length where the protocol demands an exact match.</summary>
    LengthMismatch,
    /// <summary>The datagram is larger than the protocol allows (an orf_token over 1500 bytes).</summary>
    TooLong,
    /// <summary>A field has a value the protocol does not define.</summary>
    BadField,
    /// <summary>The caller's output buffer is too small for the encoded message.</summary>
    DestinationTooSmall,
    /// <summary>A fragment continues a message that was never started, or overflows the reassembly limit.</summary>
    BadFragment,
}
