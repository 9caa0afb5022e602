using System.Diagnostics.CodeAnalysis;

namespace FastTotem.Protocol.Srp;

/// <summary>Cold throws for misuse of the engine API (never for bad network input).</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBufferTooSmall(int needed) =>
        throw new ArgumentException($"The transmit buffer must hold at least {needed} bytes.", "buffer");

    [DoesNotReturn]
    public static void ThrowEventsNotDrained() =>
        throw new InvalidOperationException("PollEvent must be drained after every call into the engine.");

    [DoesNotReturn]
    public static void ThrowInvalidConfig(string message) => throw new ArgumentException(message, "config");

    [DoesNotReturn]
    public static void ThrowAlreadyStarted() => throw new InvalidOperationException("The engine was already started.");

    [DoesNotReturn]
    public static void ThrowInvalidSeed(string message) => throw new ArgumentException(message, "seed");
}
