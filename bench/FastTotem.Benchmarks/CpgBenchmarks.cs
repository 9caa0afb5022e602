using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>
/// CPG (<see cref="CpgService"/>) delivery: a 64-byte mcast exec message from a remote process (2:20) handed to
/// the service and delivered to the local member of its group (pid 10), i.e. message_handler_req_exec_cpg_mcast
/// up to the event the IPC layer would send. Also the mcast codec round trip with 1,000 bytes.
/// </summary>
[MemoryDiagnoser]
public class CpgBenchmarks
{
    internal const int Deliveries = 10_000;

    private static readonly byte[] Group = "bench"u8.ToArray();

    private readonly ExecOutbox _outbox = new(1024 * 1024, 64);
    private readonly byte[] _codecInput = new byte[CpgMcastMessage.Size + 1000];
    private readonly byte[] _codecOutput = new byte[CpgMcastMessage.Size + 1000];
    private CpgService _cpg = null!;
    private byte[] _mcast64 = [];

    [GlobalSetup]
    public void Setup()
    {
        _cpg = new CpgService(1, _outbox);
        _cpg.SyncInit([], [1, 2], new MembRingId(1, 8));
        _cpg.SyncActivate();
        if (_cpg.Join(Group, 10, out _) != CpgResult.Ok || !_outbox.TryPeek(out ReadOnlySpan<byte> procjoin))
        {
            throw new InvalidOperationException("join failed");
        }

        // Our own procjoin comes back through totem, then the remote process joins.
        _cpg.HandleExec(1, procjoin, false);
        _outbox.Dequeue();
        _cpg.HandleExec(2, ProcJoin(Group, 20), false);
        while (_cpg.PollEvent(out _))
        {
        }

        _mcast64 = Mcast(Group, 20, 2, new byte[64]);
        Mcast(Group, 20, 2, new byte[1000]).CopyTo(_codecInput, 0);
        if (DeliverMcast64() != Deliveries * 64L)
        {
            throw new InvalidOperationException("the mcast was not delivered to the local member");
        }
    }

    /// <summary>Per message: exec mcast from 2:20 → delivery event for local pid 10 (polled and dropped).</summary>
    [Benchmark(OperationsPerInvoke = Deliveries)]
    public long DeliverMcast64()
    {
        long bytes = 0;
        for (int i = 0; i < Deliveries; i++)
        {
            _cpg.HandleExec(2, _mcast64, false);
            while (_cpg.PollEvent(out CpgEvent ev))
            {
                bytes += ev.Data.Length;
            }
        }

        return bytes;
    }

    /// <summary>Decode and re-encode a CPG mcast carrying 1,000 bytes.</summary>
    [Benchmark]
    public int McastCodecRoundTrip()
    {
        CpgMcastMessage.TryRead(_codecInput, false, out CpgMcastMessage m, out ReadOnlySpan<byte> data);
        m.TryWrite(_codecOutput, data, out int written);
        return written;
    }

    private static byte[] ProcJoin(byte[] group, uint pid)
    {
        byte[] bytes = new byte[CpgProcJoinMessage.Size];
        CpgProcJoinMessage m = default;
        m.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 0), CpgProcJoinMessage.Size);
        m.GroupName = MarCpgName.Create(group);
        m.Pid = pid;
        m.Reason = 1;
        m.TryWrite(bytes);
        return bytes;
    }

    private static byte[] Mcast(byte[] group, uint pid, uint nodeId, ReadOnlySpan<byte> data)
    {
        byte[] bytes = new byte[CpgMcastMessage.Size + data.Length];
        CpgMcastMessage m = default;
        m.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 3), bytes.Length);
        m.GroupName = MarCpgName.Create(group);
        m.MsgLen = (uint)data.Length;
        m.Pid = pid;
        m.Source.NodeId = nodeId;
        m.TryWrite(bytes, data, out _);
        return bytes;
    }
}
