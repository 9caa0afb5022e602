using System.Diagnostics.CodeAnalysis;

namespace FastTotem.Sim;

/// <summary>Cold throw helpers for simulator misuse (bad options, bad scripts); never for simulated faults.</summary>
internal static class SimThrow
{
    [DoesNotReturn]
    public static void Argument(string name) => throw new ArgumentException("invalid argument", name);

    [DoesNotReturn]
    public static void ArgumentOutOfRange(string name, string message) =>
        throw new ArgumentOutOfRangeException(name, message);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);
}
