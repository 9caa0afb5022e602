using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Pg;

namespace FastTotem.Benchmarks;

/// <summary>
/// totempg on its own: the packer packing small messages and fragmenting a large one into net_mtu (1,410-byte)
/// payloads, the assembler putting the same payloads back together, and group delivery of a finished message.
/// </summary>
[MemoryDiagnoser]
public class PgBenchmarks
{
    internal const int SmallMessages = 10_000;
    internal const int GroupDeliveries = 10_000;
    private const int LargeSize = 64 * 1024;

    private static readonly PgGroupSet Group = new("bench"u8);

    private readonly PgPacker _packer = new();
    private readonly PgAssembler _assembler = new(4, preallocate: true);
    private readonly PgGroups _groups = new();
    private readonly Counter _counter = new();
    private readonly byte[] _small = new byte[64];
    private readonly byte[] _large = new byte[LargeSize];
    private readonly byte[] _packet = new byte[WireLimitsPacket];
    private readonly byte[][] _fragments = new byte[64][];
    private readonly int[] _fragmentLengths = new int[64];
    private readonly byte[] _groupMessage = new byte[64 + 16];
    private int _fragmentCount;
    private int _groupMessageLength;

    private const int WireLimitsPacket = 1410;

    [GlobalSetup]
    public void Setup()
    {
        int instance = _groups.AddInstance(_counter);
        _groups.Join(instance, "bench"u8);

        // The 64 KiB message's payloads, as the packer produces them, for the reassembly benchmark.
        if (_packer.TrySend(Group, _large) != SendResult.Ok)
        {
            throw new InvalidOperationException("64 KiB did not fit the packer");
        }

        _packer.HandleTokenReceived();
        while (_packer.TryTakePacket(_packet, out int length))
        {
            _fragments[_fragmentCount] = _packet.AsSpan(0, length).ToArray();
            _fragmentLengths[_fragmentCount++] = length;
        }

        // A finished message for group delivery: the group header, then 64 bytes.
        Group.HeaderBytes.CopyTo(_groupMessage);
        _groupMessageLength = Group.HeaderBytes.Length + _small.Length;

        long before = _counter.Messages;
        Reassemble64KiB();
        if (_counter.Messages != before + 1 || _counter.Bytes < LargeSize)
        {
            throw new InvalidOperationException("reassembly did not deliver the 64 KiB message");
        }
    }

    /// <summary>Per 64-byte message: queued in the packer, packed into shared payloads at token visits, taken out.</summary>
    [Benchmark(OperationsPerInvoke = SmallMessages)]
    public int Pack64ByteMessages()
    {
        int packets = 0;
        for (int i = 0; i < SmallMessages; i++)
        {
            if (_packer.TrySend(Group, _small) != SendResult.Ok)
            {
                packets += Flush();
                _packer.TrySend(Group, _small);
            }

            // A token visit every 20 messages, roughly what fits one 1,410-byte payload.
            if (i % 20 == 19)
            {
                packets += Flush();
            }
        }

        return packets + Flush();
    }

    /// <summary>Per 64 KiB message: fragmented into 1,410-byte payloads, each taken out of the send queue.</summary>
    [Benchmark]
    public int Fragment64KiB()
    {
        _packer.TrySend(Group, _large);
        return Flush();
    }

    /// <summary>Per 64 KiB message: the same payloads reassembled and delivered to the group's instance.</summary>
    [Benchmark]
    public long Reassemble64KiB()
    {
        for (int i = 0; i < _fragmentCount; i++)
        {
            _assembler.HandlePacket(1, _fragments[i].AsSpan(0, _fragmentLengths[i]), false, _groups);
        }

        return _counter.Bytes;
    }

    /// <summary>Per message: a finished 64-byte message matched against the joined groups and delivered.</summary>
    [Benchmark(OperationsPerInvoke = GroupDeliveries)]
    public long GroupsDeliver64()
    {
        ReadOnlySpan<byte> message = _groupMessage.AsSpan(0, _groupMessageLength);
        for (int i = 0; i < GroupDeliveries; i++)
        {
            _groups.OnMessage(2, message, false);
        }

        return _counter.Messages;
    }

    private int Flush()
    {
        _packer.HandleTokenReceived();
        int n = 0;
        while (_packer.TryTakePacket(_packet, out _))
        {
            n++;
        }

        return n;
    }

    private sealed class Counter : IPgGroupHandler
    {
        public long Bytes;
        public long Messages;

        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian)
        {
            Bytes += payload.Length;
            Messages++;
        }
    }
}
