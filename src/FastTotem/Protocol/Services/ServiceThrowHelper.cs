using System.Diagnostics.CodeAnalysis;

namespace FastTotem.Protocol.Services;

/// <summary>Cold throws for misuse of the service API (never for bad network input).</summary>
internal static class ServiceThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string name, string message) => throw new ArgumentOutOfRangeException(name, message);

    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);
}
