using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastTotem;

/// <summary>
/// The library's one assertion and throw helper. <see cref="That"/> checks a cheap invariant and stays on in
/// Release: a broken invariant is a bug, and stopping at once beats sending a stale or zero-length frame. The
/// Throw* methods report misuse of an API by its caller. Bad input from the network never comes here; it is counted
/// and dropped where it is parsed.
/// </summary>
/// <remarks>
/// Named Invariant rather than Assert so it does not hide xunit's Assert inside the test projects' namespaces. Every
/// throwing path is out of line, hidden from stack traces and marked as not returning, so a check costs its
/// compare and a never-taken branch at the call site.
/// </remarks>
internal static class Invariant
{
    /// <summary>Fails with <paramref name="message"/> (a constant: nothing is formatted unless it fails).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void That([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
        {
            Fail(message);
        }
    }

    /// <summary>
    /// An encoder that cannot fail (its destination was sized for it) succeeded: its result is checked, never
    /// discarded, so a bug stops the node instead of sending a zero-length or stale frame.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encoded(Wire.WireError result, string message)
    {
        if (result != Wire.WireError.None)
        {
            Fail(message);
        }
    }

    /// <summary>An invariant does not hold: a bug in FastTotem.</summary>
    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fail(string message) => throw new InvariantException(message);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    [StackTraceHidden]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowPlatformNotSupported(string message) => throw new PlatformNotSupportedException(message);
}

/// <summary>Thrown when one of FastTotem's own invariants does not hold: a bug, never bad input.</summary>
internal sealed class InvariantException(string message) : InvalidOperationException("FastTotem invariant violated: " + message);
