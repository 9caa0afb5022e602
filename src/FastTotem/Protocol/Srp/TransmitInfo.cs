namespace FastTotem.Protocol.Srp;

/// <summary>Describes one datagram written by <see cref="SrpEngine.PollTransmit"/>.</summary>
internal readonly struct TransmitInfo
{
    /// <summary>Bytes written into the caller's buffer.</summary>
    public readonly int Length;

    /// <summary>
    /// The nodeid to unicast to (orf_token, commit token), or 0: send one copy to every NodeList member
    /// (the "mcast" path: mcast, join, merge_detect, token_hold_cancel).
    /// </summary>
    public readonly uint Destination;

    public TransmitInfo(int length, uint destination)
    {
        Length = length;
        Destination = destination;
    }
}
