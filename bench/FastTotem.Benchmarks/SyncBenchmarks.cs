using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Sync;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>
/// Sync v2 (<see cref="SyncEngine"/>) on its own: one full round — barrier, service_build and a barrier per
/// service — of three nodes with four sync services (ids 0, 2, 3, 5: cmap, cpg, votequorum, quorum), over an in-memory total-order bus that delivers every message to all three in one
/// order, as totem would. One operation = one round completed on all three nodes.
/// </summary>
[MemoryDiagnoser]
public class SyncBenchmarks
{
    private const int Nodes = 3;
    private const int BusCapacity = 256;
    private const int MaxSteps = 10_000;

    private static readonly int[] ServiceIds = [0, 2, 3, 5];

    private readonly SyncEngine[] _engines = new SyncEngine[Nodes];
    private readonly uint[] _members = [1, 2, 3];
    private readonly byte[] _bus = new byte[BusCapacity * SyncServiceBuildMessage.Size];
    private readonly int[] _busLength = new int[BusCapacity];
    private readonly uint[] _busSender = new uint[BusCapacity];
    private readonly bool[] _done = new bool[Nodes];
    private readonly Service _service = new();
    private int _head;
    private int _count;
    private ulong _ringSeq = 4;

    [GlobalSetup]
    public void Setup()
    {
        for (int n = 0; n < Nodes; n++)
        {
            _engines[n] = new SyncEngine();
            foreach (int id in ServiceIds)
            {
                _engines[n].RegisterService(id, _service, "s" + id);
            }
        }

        long activations = _service.Activations;
        Round();
        if (_service.Activations != activations + (Nodes * ServiceIds.Length))
        {
            throw new InvalidOperationException("the sync round did not activate every service on every node");
        }
    }

    /// <summary>Configuration change on all three, then the bus runs until every node reports sync complete.</summary>
    [Benchmark]
    public int ThreeNodeRound()
    {
        var ring = new MembRingId(1, _ringSeq += 4);
        for (int n = 0; n < Nodes; n++)
        {
            _engines[n].HandleConfigurationChange(false, _members, ring);
            _engines[n].HandleConfigurationChange(true, _members, ring);
            _done[n] = false;
        }

        int completed = 0;
        for (int step = 0; step < MaxSteps && completed < Nodes; step++)
        {
            for (int n = 0; n < Nodes; n++)
            {
                SyncEngine e = _engines[n];
                e.PollProcess();
                while (_count < BusCapacity && e.TryTakeMessage(Slot((_head + _count) % BusCapacity), out int length))
                {
                    int slot = (_head + _count) % BusCapacity;
                    _busLength[slot] = length;
                    _busSender[slot] = _members[n];
                    _count++;
                }
            }

            if (_count > 0)
            {
                int slot = _head;
                _head = (_head + 1) % BusCapacity;
                _count--;
                for (int n = 0; n < Nodes; n++)
                {
                    _engines[n].HandleMessage(_busSender[slot], Slot(slot)[.._busLength[slot]]);
                    if (_engines[n].TryPollEvent(out _) && !_done[n])
                    {
                        _done[n] = true;
                        completed++;
                    }
                }
            }
        }

        return completed;
    }

    private void Round() => ThreeNodeRound();

    private Span<byte> Slot(int slot) => _bus.AsSpan(slot * SyncServiceBuildMessage.Size, SyncServiceBuildMessage.Size);

    private sealed class Service : ISyncService
    {
        public long Activations;

        public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
        {
        }

        public bool SyncProcess() => true;

        public void SyncActivate() => Activations++;

        public void SyncAbort()
        {
        }
    }
}
