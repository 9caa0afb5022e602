using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastTotem.Protocol.Sync;

/// <summary>Cold throw sites for misuse of the sync engine (never for bad network input).</summary>
internal static class SyncThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInvalidOperation(string message) =>
        throw new InvalidOperationException(message);
}
