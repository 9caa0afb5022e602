using FastTotem.Protocol.Node;
using FastTotem.Protocol.Srp;
using FastTotem.Wire;
using FastTotem.Tests.Srp;

namespace FastTotem.Tests.Node;

/// <summary>
/// docs/robustness.md, finding C2's other consequence: the engine keeps 8 configuration-change slots, and a loop that handed a
/// whole receive batch to the engine before draining could overflow them with about four forged ring installs in one
/// batch. Node 2 of {1, 2} gets, in one <see cref="NodeLoop.Step{TIo}"/>, everything "node 1" would send for six ring
/// installs in a row: two joins, the first-lap commit token, the second lap (node 2's own forwarded token, as node 1
/// would pass it back) and orf_tokens of the new ring until node 2 installs it. Each datagram is built when the step
/// asks for it, from what node 2 sent so far. Every install's two configuration changes reach the driver, in order.
/// </summary>
public class ForgedInstallsInOneBatchTests
{
    private const int InstallsWanted = 6;

    [Fact]
    public void SixRingInstallsInOneStepAreAllDelivered()
    {
        var engine = new SrpEngine(SrpConfig.CorosyncDefaults(2, [1, 2], 1000), new MemoryRingSeqStore(0));
        var machine = new NodeMachine(engine);
        machine.StartSeeded(new SrpSeedState
        {
            RingId = new MembRingId(1, 9), Members = [1, 2], Aru = 21, HighSeqReceived = 21, HighDelivered = 21, LastReleased = 21,
            TokenSeq = 182, LastTokenRingSeq = 21, LastTokenAru = 21,
        }, 0);
        var forger = new Forger(machine);
        NodeLoop.Step(machine, ref forger, 1_000_000);

        Assert.False(machine.Faulted, machine.FaultException?.ToString());
        Assert.Equal(InstallsWanted, forger.Installs);
        var expected = new List<string>();
        for (int i = 1; i <= InstallsWanted; i++)
        {
            expected.Add($"Transitional 1.{9 + (4 * i)}");
            expected.Add($"Regular 1.{9 + (4 * i)}");
        }

        Assert.Equal(expected, forger.Log.ConfigChanges);
        Assert.Equal(0, machine.Counters.EventsNotDrained);
        Assert.Equal(0, machine.Counters.EventOverflowDrops);
        Assert.Equal(SrpState.Operational, engine.State);
        Assert.Equal(new MembRingId(1, 9 + (4 * InstallsWanted)), engine.RingId);
    }

    private sealed class Log
    {
        public readonly List<string> ConfigChanges = [];
        public byte[]? LastCommitSent;
    }

    /// <summary>Node 1, answering node 2 within one receive batch.</summary>
    private struct Forger(NodeMachine machine) : INodeIo
    {
        private const int Slots = 40 * InstallsWanted;
        public readonly Log Log = new();
        private byte[] _current = [];
        private int _step;
        private uint _tokenSeq;

        public int Installs { get; private set; }

        public readonly int ReceivedCount => Slots;

        public ReadOnlySpan<byte> Received(int index)
        {
            _current = Next();
            return _current;
        }

        public readonly NodeSource ReceivedSource(int index) => NodeSource.Unknown;

        public readonly void Transmit(ReadOnlySpan<byte> datagram, uint destination)
        {
            if (datagram.Length > 3 && datagram[3] == (byte)MessageType.MembCommitToken)
            {
                Log.LastCommitSent = datagram.ToArray();
            }
        }

        public readonly void Flush()
        {
        }

        public void OnEvent(in NodeEvent ev)
        {
            if (ev.Kind == NodeEventKind.ConfigChange)
            {
                Log.ConfigChanges.Add($"{ev.ConfigKind} {ev.RingId.Rep}.{ev.RingId.Seq}");
                if (ev.ConfigKind == ConfigChangeKind.Regular)
                {
                    Installs++;
                }
            }
        }

        public readonly void OnFault(Exception exception)
        {
        }

        /// <summary>The next datagram node 1 sends, from node 2's state: empty once the installs are done.</summary>
        private byte[] Next()
        {
            SrpEngine e = machine.Engine;
            if (Installs == InstallsWanted)
            {
                return [];
            }

            ulong seq = e.RingId.Seq;
            switch (e.State)
            {
                case SrpState.Operational:
                    _step = 0;
                    return Forge.Join(1, 1, seq, [1, 2], []);
                case SrpState.Gather when _step++ == 0:
                    return Forge.Join(1, 1, seq, [1, 2], []); // again: node 2's consensus round began after the first
                case SrpState.Gather:
                {
                    var entries = new MembCommitTokenMembEntry[2];
                    entries[0] = new MembCommitTokenMembEntry { RingId = e.RingId, Aru = 0, HighDelivered = 0, ReceivedFlg = 1 };
                    _tokenSeq = 0;
                    return Forge.Commit(1, 1, new MembRingId(1, seq + 4), 1, [1, 2], entries);
                }

                case SrpState.Commit:
                {
                    byte[] second = (byte[])Log.LastCommitSent!.Clone();
                    BitConverter.TryWriteBytes(second.AsSpan(5), 1u);
                    return second;
                }

                case SrpState.Recovery:
                    return Forge.Token(1, e.RingId, 0, ++_tokenSeq, 0, 0);
                default:
                    return [];
            }
        }
    }
}
