namespace FastTotem.Protocol.Node;

/// <summary>
/// The host's queued commands (CPG joins, sends and leaves from host threads, say), which
/// <see cref="NodeMachine.HandleHostCommands"/> runs on the loop thread. Must not block, and must not call the machine's
/// Handle* or Poll* methods: it works on the machine's services (<see cref="NodeMachine.Cpg"/>, group sends).
/// </summary>
internal interface IHostWork
{
    void Run(NodeMachine machine);

    /// <summary>The same, with the step's time (a host that stamps its work reads no clock of its own).</summary>
    void Run(NodeMachine machine, long nowNs) => Run(machine);
}
