using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>The CPG service's message path per call: deliver a received 100 B / 1,000 B mcast to a local process, and send 100 B.</summary>
[MemoryDiagnoser]
public class CpgServiceBenchmarks
{
    private readonly ExecOutbox _outbox = new(4 * 1024 * 1024, 1024);
    private CpgService _cpg = null!;
    private int _handle;
    private byte[] _mcast100 = null!;
    private byte[] _mcast1000 = null!;
    private readonly byte[] _data100 = new byte[100];

    [GlobalSetup]
    public void Setup()
    {
        _cpg = new CpgService(1, _outbox);
        _cpg.SyncInit([], [1], new MembRingId(1, 5));
        while (!_cpg.SyncProcess())
        {
            _outbox.Dequeue();
        }

        _cpg.SyncActivate();
        _cpg.Join("fasttotem"u8, 10, out _handle);
        _outbox.TryPeek(out ReadOnlySpan<byte> join);
        _cpg.HandleExec(1, join, false);
        _outbox.Dequeue();
        while (_cpg.PollEvent(out _))
        {
        }

        _mcast100 = Build(100);
        _mcast1000 = Build(1000);
    }

    private static byte[] Build(int length)
    {
        byte[] bytes = new byte[CpgMcastMessage.Size + length];
        CpgMcastMessage m = default;
        m.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 3), bytes.Length);
        m.GroupName = MarCpgName.Create("fasttotem"u8);
        m.MsgLen = (uint)length;
        m.Pid = 10;
        m.Source.NodeId = 1;
        m.TryWrite(bytes, new byte[length], out _);
        return bytes;
    }

    [Benchmark]
    public int Deliver100()
    {
        _cpg.HandleExec(1, _mcast100, false);
        _cpg.PollEvent(out CpgEvent ev);
        int length = ev.Data.Length;
        _cpg.PollEvent(out _);
        return length;
    }

    [Benchmark]
    public int Deliver1000()
    {
        _cpg.HandleExec(1, _mcast1000, false);
        _cpg.PollEvent(out CpgEvent ev);
        int length = ev.Data.Length;
        _cpg.PollEvent(out _);
        return length;
    }

    [Benchmark]
    public SendResult Send100()
    {
        SendResult result = _cpg.TryMcast(_handle, _data100);
        _outbox.Dequeue();
        return result;
    }
}
