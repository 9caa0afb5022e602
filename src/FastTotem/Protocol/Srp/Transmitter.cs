namespace FastTotem.Protocol.Srp;

/// <summary>
/// Who put a datagram on the wire, as the transport saw it: the nodeid whose nodelist address the datagram came from,
/// or one of the two markers below. The engine binds the identity a message claims to this (docs/robustness.md).
/// </summary>
internal static class Transmitter
{
    /// <summary>The caller cannot say (a capture replay, a test): no identity check is made.</summary>
    public const uint Unknown = 0;

    /// <summary>The source address is not in the nodelist: the datagram can speak for no node.</summary>
    public const uint Unlisted = uint.MaxValue;
}
