namespace FastTotem.Protocol.Node;

/// <summary>
/// What a driver gives <see cref="NodeLoop.Step{TIo}"/>: the datagrams it received for this step, a way out for the
/// machine's datagrams, and a sink for its events. Implemented by a struct per driver (epoll, simulator, in-memory
/// rings), so the loop is specialised for each and nothing is boxed.
/// </summary>
internal interface INodeIo
{
    /// <summary>Datagrams received since the last step (a recvmmsg batch); 0 for a timer or host wake-up.</summary>
    int ReceivedCount { get; }

    ReadOnlySpan<byte> Received(int index);

    NodeSource ReceivedSource(int index);

    /// <summary>Queue one datagram for <paramref name="destination"/> (a nodeid, or 0: every other member).</summary>
    void Transmit(ReadOnlySpan<byte> datagram, uint destination);

    /// <summary>Send what <see cref="Transmit"/> queued (sendmmsg); called once per drain round.</summary>
    void Flush();

    /// <summary>One event of the machine; its spans are valid during the call only.</summary>
    void OnEvent(in NodeEvent ev);

    /// <summary>The machine faulted (a bug; the exception was caught on the loop thread) and left the ring.</summary>
    void OnFault(Exception exception);
}
