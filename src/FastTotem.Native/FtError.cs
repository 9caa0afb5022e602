namespace FastTotem.Native;

/// <summary>
/// The C API's return codes: the one source of the <c>FT_OK</c>/<c>FT_ERR_*</c> values in native/include/fasttotem.h
/// (a test compares the two) and of <c>ft_strerror</c>'s texts. Values never change; new codes are added below.
/// </summary>
public enum FtError
{
    /// <summary>FT_OK: success.</summary>
    Ok = 0,

    /// <summary>FT_ERR_INVALID_ARGUMENT: a NULL pointer, a bad size, an unknown flag, a value out of range.</summary>
    InvalidArgument = -1,

    /// <summary>FT_ERR_INVALID_HANDLE: not a live handle of that kind (never issued, destroyed, or forged).</summary>
    InvalidHandle = -2,

    /// <summary>FT_ERR_CONFIG: the corosync.conf is broken or asks for something FastTotem does not speak.</summary>
    Config = -3,

    /// <summary>FT_ERR_TRANSPORT: the sockets could not be set up.</summary>
    Transport = -4,

    /// <summary>FT_ERR_TRY_AGAIN: back-pressure, the send queue is full; nothing was queued.</summary>
    TryAgain = -5,

    /// <summary>FT_ERR_TOO_LARGE: the message is larger than the group takes.</summary>
    TooLarge = -6,

    /// <summary>FT_ERR_CLOSED: the group was left or the node stopped.</summary>
    Closed = -7,

    /// <summary>FT_ERR_TIMEOUT: not done in time (a join that timed out was withdrawn).</summary>
    Timeout = -8,

    /// <summary>FT_ERR_INTERNAL: a bug; ft_last_error says more.</summary>
    Internal = -9,

    /// <summary>FT_ERR_STATE: not allowed now (start twice, join before start, destroy from a protocol-thread callback).</summary>
    State = -10,

    /// <summary>FT_ERR_RELEASED: the delivery was already released.</summary>
    Released = -11,

    /// <summary>FT_ERR_FAULTED: the node hit a bug on its protocol thread, left the ring and stopped.</summary>
    Faulted = -12,
}

/// <summary>The C codes of the one send result every C# send path returns.</summary>
public static class FtSendResult
{
    /// <summary>
    /// <see cref="SendResult.Ok"/> is FT_OK; <see cref="SendResult.TryAgain"/>, <see cref="SendResult.TooLarge"/> and
    /// <see cref="SendResult.Closed"/> are FT_ERR_TRY_AGAIN, FT_ERR_TOO_LARGE and FT_ERR_CLOSED.
    /// </summary>
    public static FtError ToFtError(SendResult result) => result switch
    {
        SendResult.Ok => FtError.Ok,
        SendResult.TryAgain => FtError.TryAgain,
        SendResult.TooLarge => FtError.TooLarge,
        SendResult.Closed => FtError.Closed,
        _ => FtError.Internal,
    };
}

/// <summary>The static texts of <c>ft_strerror</c>, one per <see cref="FtError"/>.</summary>
public static class FtErrorText
{
    /// <summary>The longest text, in bytes without its NUL, that <c>fasttotem.h</c> promises (FT_STRERROR_MAX - 1).</summary>
    public const int LengthMax = 127;

    public static string Describe(FtError code) => code switch
    {
        FtError.Ok => "success",
        FtError.InvalidArgument => "invalid argument",
        FtError.InvalidHandle => "invalid handle",
        FtError.Config => "bad or unsupported corosync.conf",
        FtError.Transport => "socket setup failed",
        FtError.TryAgain => "try again: the send queue is full",
        FtError.TooLarge => "message too large",
        FtError.Closed => "closed",
        FtError.Timeout => "timed out",
        FtError.Internal => "internal error",
        FtError.State => "not allowed in this state",
        FtError.Released => "already released",
        FtError.Faulted => "the node faulted: it left the ring and stopped; destroy it and create a new one",
        _ => "unknown error code",
    };
}
