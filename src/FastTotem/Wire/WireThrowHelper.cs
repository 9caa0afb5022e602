using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastTotem.Wire;

/// <summary>
/// Cold throws for misuse of the wire codecs (a bug in the caller, never bad network input), kept
/// out of line so the hot encoders stay small.
/// </summary>
internal static class WireThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgument(string message, string paramName) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowBigEndianHost() =>
        throw new PlatformNotSupportedException(
            "FastTotem's wire codecs read and write structs in host order and assume a little-endian host.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRange(string paramName) =>
        throw new ArgumentOutOfRangeException(paramName);
}
