namespace FastTotem.Protocol.Srp;

internal sealed partial class SrpEngine
{
    /// <summary>
    /// totemsrp_event_signal (TOTEM_EVENT_NEW_MSG): totempg has a new message, possibly only buffered for packing and
    /// not yet in the engine's send queue. Releases a token the ring holds because it was idle, as corosync's
    /// mcast_msg does for every message, so the message does not wait out the token hold timeout.
    /// </summary>
    public void SignalNewMessage() => TokenHoldCancelSend();

    /// <summary>True when <see cref="PollTransmit"/> has a datagram waiting.</summary>
    public bool HasTransmitPending => _tx.Count > 0;
}
