using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Sync;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>totempg packing, reassembly and group delivery, service-message codecs, and a sync round.</summary>
[MemoryDiagnoser]
public class PgBenchmarks
{
    private readonly PgPacker _packer = new(queueCapacity: 64);
    private readonly PgAssembler _assembler = new(4, preallocate: true);
    private readonly PgGroups _groups = new();
    private readonly Counter _counter = new();
    private readonly byte[] _small = new byte[100];
    private readonly byte[] _large = new byte[64 * 1024];
    private readonly byte[] _packet = new byte[1410];
    private readonly byte[] _cpgMcast = new byte[CpgMcastMessage.Size + 1000];
    private readonly byte[] _output = new byte[2048];
    private readonly SyncEngine _sync = new();
    private readonly byte[] _syncBuffer = new byte[SyncServiceBuildMessage.Size];
    private readonly uint[] _members = [1];
    private ulong _ringSeq = 5;

    private sealed class Counter : IPgGroupHandler, ISyncService
    {
        public long Bytes;

        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Bytes += payload.Length;

        public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
        {
        }

        public bool SyncProcess() => true;

        public void SyncActivate() => Bytes++;

        public void SyncAbort()
        {
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        int i = _groups.AddInstance(_counter);
        _groups.Join(i, "a"u8);
        CpgMcastMessage m = default;
        m.Header = new QbIpcRequestHeader(0x00020003, _cpgMcast.Length);
        m.GroupName = MarCpgName.Create("fasttotem"u8);
        m.MsgLen = 1000;
        m.TryWrite(_cpgMcast, new byte[1000], out _);
        foreach (int id in new[] { 0, 2, 3, 5 })
        {
            _sync.RegisterService(id, _counter, "s" + id);
        }
    }

    /// <summary>Three 100-byte messages packed into one mcast at the token, reassembled and delivered to group "a".</summary>
    [Benchmark]
    public long PackFlushAssembleThreeSmall()
    {
        _packer.TrySend(PgGroupSet.Services, _small);
        _packer.TrySend(PgGroupSet.Services, _small);
        _packer.TrySend(PgGroupSet.Services, _small);
        _packer.HandleTokenReceived();
        while (_packer.TryTakePacket(_packet, out int length))
        {
            _assembler.HandlePacket(1, _packet.AsSpan(0, length), false, _groups);
        }

        return _counter.Bytes;
    }

    /// <summary>A 64 KiB message fragmented into 47 mcasts and reassembled.</summary>
    [Benchmark]
    public long Fragment64KiB()
    {
        _packer.TrySend(PgGroupSet.Services, _large);
        _packer.HandleTokenReceived();
        while (_packer.TryTakePacket(_packet, out int length))
        {
            _assembler.HandlePacket(1, _packet.AsSpan(0, length), false, _groups);
        }

        return _counter.Bytes;
    }

    /// <summary>Decode and re-encode a CPG mcast carrying 1000 bytes.</summary>
    [Benchmark]
    public int CpgMcastRoundTrip()
    {
        CpgMcastMessage.TryRead(_cpgMcast, false, out CpgMcastMessage m, out ReadOnlySpan<byte> data);
        m.TryWrite(_output, data, out int written);
        return written;
    }

    /// <summary>A whole singleton sync round with the four corosync sync services.</summary>
    [Benchmark]
    public long SingletonSyncRound()
    {
        var ring = new MembRingId(1, _ringSeq++);
        _sync.HandleConfigurationChange(false, _members, ring);
        _sync.HandleConfigurationChange(true, _members, ring);
        while (true)
        {
            _sync.PollProcess();
            if (!_sync.TryTakeMessage(_syncBuffer, out int length))
            {
                break;
            }

            _sync.HandleMessage(1, _syncBuffer.AsSpan(0, length));
        }

        _sync.TryPollEvent(out _);
        return _counter.Bytes;
    }
}
