using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Tests.Node;

/// <summary>
/// docs/robustness.md, finding C2: three datagrams in one receive batch, where the third releases the message the second delivered.
/// A loop that hands the whole batch to the engine before draining its events (the epoll driver at 2b4ae9e) finds the
/// delivery's slot already released and throws on the loop thread; <see cref="NodeLoop.Step{TIo}"/> drains after every
/// datagram, so the node delivers the message and carries on.
/// </summary>
public class NodeLoopBatchTests
{
    private static readonly MembRingId Ring = new(1, 9);

    /// <summary>Node 2 of members 1, 2, 3; <see cref="Seed"/> makes it operational on ring 1.9 with seq 21 delivered and released.</summary>
    private static SrpEngine Victim() => new(SrpConfig.CorosyncDefaults(2, [1, 2, 3], 1000), new MemoryRingSeqStore(0));

    private static SrpSeedState Seed() => new()
    {
        RingId = Ring, Members = [1, 2, 3], Aru = 21, HighSeqReceived = 21, HighDelivered = 21, LastReleased = 21,
        TokenSeq = 182, LastTokenRingSeq = 21, LastTokenAru = 21,
    };

    [Fact]
    public void HandingTheWholeBatchToTheEngineBeforeDrainingThrows()
    {
        // What the epoll driver did at 2b4ae9e: HandleDatagram for each datagram of the batch, then drain.
        SrpEngine engine = Victim();
        engine.SeedOperational(Seed(), 0);
        foreach (byte[] datagram in ForgedBatch.Recipe(Ring, 21, 183, 3))
        {
            engine.HandleDatagram(datagram, 1_000_000);
        }

        Assert.Throws<InvalidOperationException>(() =>
        {
            while (engine.PollEvent(out _))
            {
            }
        });
    }

    [Fact]
    public void TheStepDrainsAfterEveryDatagramSoTheBatchIsDeliveredAndTheNodeCarriesOn()
    {
        var machine = new NodeMachine(Victim());
        machine.StartSeeded(Seed(), 0);
        var io = new RecordingIo(ForgedBatch.Recipe(Ring, 21, 183, 3));
        NodeLoop.Step(machine, ref io, 1_000_000);

        Assert.False(machine.Faulted, machine.FaultException?.ToString());
        Assert.Null(io.Log.Fault);
        Assert.Equal(["deliver 22 from 3"], io.Log.Events);
        Assert.Equal(SrpState.Operational, machine.Engine.State);
        Assert.True(io.Log.Transmitted > 0);
        Assert.Equal(0, machine.Counters.EventsNotDrained);
    }

    [Fact]
    public void AnExceptionInsideTheMachineIsCaughtTheNodeLeavesAndTheDriverHearsOfIt()
    {
        var machine = new NodeMachine(Victim());
        machine.StartSeeded(Seed(), 0);
        var io = new RecordingIo([]);
        // A bug stand-in: the host's command throws inside the machine's input.
        machine.HostWork = new ThrowingWork();
        NodeLoop.Step(machine, ref io, 1_000_000);

        Assert.True(machine.Faulted);
        Assert.IsType<InvalidProgramException>(io.Log.Fault);
        Assert.Equal(1, machine.Counters.ProtocolFaults);
        Assert.False(machine.IsRunning);
        // corosync's LEAVE went out: a join whose header nodeid is 0.
        Assert.Contains(io.Log.Sent, d => d.Length > 5 && d[3] == (byte)MessageType.MembJoin && d[5] == 0 && d[6] == 0 && d[7] == 0 && d[8] == 0);

        // Faulted machines take no more input and ask for no timer.
        Assert.Equal(long.MaxValue, NodeLoop.Step(machine, ref io, 2_000_000));
        Assert.Equal(long.MaxValue, machine.PollTimeout());
    }

    private sealed class ThrowingWork : IHostWork
    {
        public void Run(NodeMachine machine) => throw new InvalidProgramException("a bug");
    }

    private sealed class Log
    {
        public readonly List<string> Events = [];
        public readonly List<byte[]> Sent = [];
        public int Transmitted;
        public Exception? Fault;
    }

    private struct RecordingIo(byte[][] batch) : INodeIo
    {
        public readonly Log Log = new();

        public readonly int ReceivedCount => batch.Length;

        public readonly ReadOnlySpan<byte> Received(int index) => batch[index];

        public readonly NodeSource ReceivedSource(int index) => NodeSource.Unknown;

        public readonly void Transmit(ReadOnlySpan<byte> datagram, uint destination)
        {
            Log.Transmitted++;
            Log.Sent.Add(datagram.ToArray());
        }

        public readonly void Flush()
        {
        }

        public readonly void OnEvent(in NodeEvent ev) =>
            Log.Events.Add(ev.Kind == NodeEventKind.Deliver ? $"deliver {ev.Seq} from {ev.SenderNodeId}" : ev.Kind.ToString());

        public readonly void OnFault(Exception exception) => Log.Fault = exception;
    }
}
