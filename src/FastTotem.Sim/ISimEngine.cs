namespace FastTotem.Sim;

/// <summary>
/// What the simulator needs from a node: one loop step at a time. The real nodes (<see cref="MachineSimEngine"/> and
/// its subclasses) run a <see cref="Protocol.Node.NodeMachine"/> through <see cref="Protocol.Node.NodeLoop.Step{TIo}"/>,
/// the loop production runs; tests may plug in scripted fakes.
/// </summary>
internal interface ISimEngine
{
    /// <summary>
    /// One turn of the node's loop at <paramref name="nowNs"/>: start it first when <paramref name="start"/>, then the
    /// datagrams <paramref name="io"/> received (a batch), the due timers and the host's work. Datagrams leave through
    /// <see cref="ISimNodeIo.Send"/>, deliveries and configuration changes through the sink.
    /// </summary>
    void Step(long nowNs, ISimNodeIo io, bool start);

    /// <summary>A host command: the application multicasts a payload. True when accepted; a step follows.</summary>
    bool TryMulticast(ReadOnlySpan<byte> totempgPayload);

    long PollTimeout();

    /// <summary>A short state name for traces (OPERATIONAL, GATHER, ...).</summary>
    string StateName { get; }
}
