namespace FastTotem.Transport;

/// <summary>
/// The kernel work of one node's loop, counted where it happens: system calls by kind, datagrams each way (packets on
/// the wire: a UDP GSO send counts its segments), and wake-ups. Divided by the messages a node delivered they give
/// the per-message kernel cost, a figure the machine's load does not change (the bench reports it). Written on the
/// loop thread (host threads add their eventfd writes atomically); readers on other threads see each value exactly,
/// the set not at one instant.
/// </summary>
internal readonly record struct LoopIoCounters
{
    /// <summary>epoll_wait calls (a busy-polling loop makes one per turn, with a zero timeout).</summary>
    public long EpollWaits { get; init; }

    /// <summary>epoll_wait calls that found the eventfd rung: the loop woke for host work.</summary>
    public long Wakeups { get; init; }

    /// <summary>eventfd writes by host threads (at most one per loop turn: the rest of a burst finds it already rung).</summary>
    public long WakeWrites { get; init; }

    /// <summary>Calls that send (sendmmsg for udpu/udp, sendto or send for knet).</summary>
    public long SendCalls { get; init; }

    /// <summary>Datagrams (packets) sent, a GSO super-datagram counted by its segments.</summary>
    public long DatagramsSent { get; init; }

    /// <summary>GSO sends: one buffer the kernel cut into several datagrams of the same peer.</summary>
    public long GsoSends { get; init; }

    /// <summary>recvmmsg calls.</summary>
    public long ReceiveCalls { get; init; }

    /// <summary>Datagrams (packets) received, a GRO-coalesced buffer counted by its segments.</summary>
    public long DatagramsReceived { get; init; }

    /// <summary>Received buffers that GRO had coalesced from several datagrams.</summary>
    public long GroBuffers { get; init; }

    /// <summary>All system calls counted here.</summary>
    public long SystemCalls => EpollWaits + Wakeups + WakeWrites + SendCalls + ReceiveCalls;
}
