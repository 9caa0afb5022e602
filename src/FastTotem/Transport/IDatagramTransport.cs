namespace FastTotem.Transport;

/// <summary>
/// What <see cref="RingDriver"/> needs from the sockets under it: the descriptors to wait on, a batch read, the
/// Totem datagrams in it, queue-and-flush sending by nodeid, and timers of its own (knet's heartbeat; udpu/udp have
/// none). <see cref="UdpTransport"/> is corosync's udpu/udp, <see cref="KnetTransport"/> its knet.
/// </summary>
internal interface IDatagramTransport : IDisposable
{
    int FdCount { get; }

    int Fd(int index);

    /// <summary>Reads a batch from <paramref name="fd"/>; returns how many entries <see cref="Datagram"/> then has.</summary>
    int Receive(int fd);

    /// <summary>The i-th Totem datagram of the last batch; empty when it was dropped or was not a Totem datagram.</summary>
    ReadOnlySpan<byte> Datagram(int i);

    /// <summary>The nodeid that sent the i-th datagram (for the engine's identity binding), or Transmitter.Unlisted.</summary>
    uint SourceNodeId(int i);

    /// <summary>Queues one Totem datagram for <paramref name="destinationNodeId"/>, or with 0 for every other member.</summary>
    bool TryQueue(ReadOnlySpan<byte> datagram, uint destinationNodeId);

    void Flush();

    /// <summary>The transport's next deadline (monotonic ns), long.MaxValue for none.</summary>
    long PollTimeout();

    /// <summary>Datagrams or packets the transport dropped as bad input or could not send, all reasons together.</summary>
    long DroppedPackets { get; }

    void HandleTimeout(long nowNs);

    /// <summary>The transport's system calls and datagrams so far (the loop adds its epoll and eventfd calls).</summary>
    LoopIoCounters IoCounts { get; }
}
