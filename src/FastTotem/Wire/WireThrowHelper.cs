using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastTotem.Wire;

/// <summary>Cold throw sites for misuse of the wire encoders (never for bad network input).</summary>
internal static class WireThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRange(string paramName) =>
        throw new ArgumentOutOfRangeException(paramName);
}
