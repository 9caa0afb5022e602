using BenchmarkDotNet.Attributes;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>Decode + re-encode of the SRP messages a ring handles most: the token and the mcast header.</summary>
[MemoryDiagnoser]
public class SrpCodecBenchmarks
{
    private readonly byte[] _token = new byte[OrfTokenCodec.GetEncodedLength(0)];
    private readonly byte[] _tokenFull = new byte[OrfTokenCodec.GetEncodedLength(WireLimits.RetransmitEntriesMax)];
    private readonly byte[] _mcast = new byte[McastCodec.GetEncodedLength(1410)];
    private readonly byte[] _join = new byte[MembJoinCodec.GetEncodedLength(3, 0)];
    private readonly byte[] _output = new byte[WireLimits.FrameSizeMax];
    private readonly RtrItem[] _rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
    private readonly uint[] _proc = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _failed = new uint[WireLimits.ProcessorCountMax];

    [GlobalSetup]
    public void Setup()
    {
        var ring = new MembRingId(1, 9);
        var token = new OrfToken { Header = new TotemHeader(MessageType.OrfToken, 1), Seq = 22, TokenSeq = 209, Aru = 21, AruAddr = 3, RingId = ring };
        OrfTokenCodec.TryEncode(token, default, _token, out _);
        for (int i = 0; i < _rtr.Length; i++)
        {
            _rtr[i] = new RtrItem(ring, (uint)i);
        }

        OrfTokenCodec.TryEncode(token, _rtr, _tokenFull, out _);
        var mcast = new McastHeader { Header = new TotemHeader(MessageType.Mcast, 2, TotemHeader.NotEncapsulated), SystemFrom = 2, Seq = 23, RingId = ring };
        McastCodec.TryEncode(mcast, new byte[1410], _mcast, out _);
        var join = new MembJoin { Header = new TotemHeader(MessageType.MembJoin, 2), SystemFrom = 2, RingSeq = 9 };
        MembJoinCodec.TryEncode(join, [1u, 2u, 3u], default, _join, out _);
    }

    [Benchmark]
    public int OrfTokenRoundTrip()
    {
        OrfTokenCodec.TryDecode(_token, out OrfToken token, _rtr);
        OrfTokenCodec.TryEncode(token, _rtr.AsSpan(0, token.RtrListEntries), _output, out int written);
        return written;
    }

    [Benchmark]
    public int OrfTokenWith30RtrRoundTrip()
    {
        OrfTokenCodec.TryDecode(_tokenFull, out OrfToken token, _rtr);
        OrfTokenCodec.TryEncode(token, _rtr.AsSpan(0, token.RtrListEntries), _output, out int written);
        return written;
    }

    [Benchmark]
    public int McastHeaderDecode()
    {
        McastCodec.TryDecode(_mcast, out McastHeader header, out ReadOnlySpan<byte> payload, out _);
        return (int)header.Seq + payload.Length;
    }

    [Benchmark]
    public int McastFullFrameRoundTrip()
    {
        McastCodec.TryDecode(_mcast, out McastHeader header, out ReadOnlySpan<byte> payload, out _);
        McastCodec.TryEncode(header, payload, _output, out int written);
        return written;
    }

    [Benchmark]
    public int JoinRoundTrip()
    {
        MembJoinCodec.TryDecode(_join, out MembJoin join, _proc, _failed);
        MembJoinCodec.TryEncode(join, _proc.AsSpan(0, (int)join.ProcListEntries), default, _output, out int written);
        return written;
    }
}
