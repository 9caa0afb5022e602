using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;

namespace FastTotem.Sim;

/// <summary>
/// A simulated node running a real <see cref="NodeMachine"/> through <see cref="NodeLoop.Step{TIo}"/>, the very loop
/// the epoll driver runs: the simulator only supplies the batch, the wire and the recorders. Subclasses decide what an
/// application multicast is and what a machine event means to the history.
/// </summary>
internal abstract class MachineSimEngine : ISimEngine
{
    protected MachineSimEngine(NodeMachine machine) => Machine = machine;

    public NodeMachine Machine { get; }

    public SrpEngine Engine => Machine.Engine;

    /// <summary>OPERATIONAL, GATHER, COMMIT or RECOVERY (FAULTED after a caught bug).</summary>
    public string StateName => Machine.Faulted ? "FAULTED" : Engine.State switch
    {
        SrpState.Operational => "OPERATIONAL",
        SrpState.Gather => "GATHER",
        SrpState.Commit => "COMMIT",
        _ => "RECOVERY",
    };

    /// <summary>The sink of the step in progress (group handlers deliver into it while the machine settles).</summary>
    protected ISimEventSink? Sink { get; private set; }

    public void Step(long nowNs, ISimNodeIo io, bool start)
    {
        Sink = io;
        var loopIo = new Io(this, io);
        NodeLoop.Step(Machine, ref loopIo, nowNs, start ? NodeLoop.Input.Start : NodeLoop.Input.None);
        if (!Machine.Faulted)
        {
            AfterStep(io);
        }

        Sink = null;
        if (!Machine.Faulted)
        {
            // The engine's invariants after every simulated step (docs/limits.md), not only on state entry.
            Engine.CheckInvariants();
        }
    }

    public long PollTimeout() => Machine.PollTimeout();

    public abstract bool TryMulticast(ReadOnlySpan<byte> totempgPayload);

    /// <summary>The host's turn after the loop step (a host thread reading its queues and issuing commands).</summary>
    protected virtual void AfterStep(ISimEventSink sink)
    {
    }

    /// <summary>One machine event, in order, during a step.</summary>
    protected abstract void OnEvent(in NodeEvent ev, ISimEventSink sink);

    /// <summary>A fault is a bug the simulator must report: it ends the run's checks with the exception.</summary>
    protected virtual void OnFault(Exception exception) =>
        throw new InvalidOperationException($"node {Machine.NodeId} faulted: {exception.Message}", exception);

    /// <summary>Reports a regular or transitional configuration change to the history.</summary>
    protected static void ReportConfigChange(in NodeEvent ev, ISimEventSink sink) =>
        sink.OnConfigChange(ev.ConfigKind == ConfigChangeKind.Regular ? SimConfigKind.Regular : SimConfigKind.Transitional,
            ev.RingId, ev.Members, ev.Left, ev.Joined);

    private readonly struct Io(MachineSimEngine owner, ISimNodeIo io) : INodeIo
    {
        public int ReceivedCount => io.ReceivedCount;

        public ReadOnlySpan<byte> Received(int index) => io.Received(index);

        public NodeSource ReceivedSource(int index) => new(io.ReceivedFrom(index));

        public void Transmit(ReadOnlySpan<byte> datagram, uint destination) => io.Send(destination, datagram);

        public void Flush()
        {
        }

        public void OnEvent(in NodeEvent ev) => owner.OnEvent(in ev, io);

        public void OnFault(Exception exception) => owner.OnFault(exception);
    }
}
