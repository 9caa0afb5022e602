namespace FastTotem.Fuzz;

/// <summary>A target found the code under test in a state it must never reach.</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
