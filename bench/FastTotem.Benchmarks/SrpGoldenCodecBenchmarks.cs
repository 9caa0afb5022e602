using BenchmarkDotNet.Attributes;
using FastTotem.Capture;
using FastTotem.Wire;

namespace FastTotem.Benchmarks;

/// <summary>
/// Decode + re-encode of one real captured datagram of each of the six SRP message types (the frames
/// docs/wire-format.md §16 decodes by hand, and their neighbours). Every method must report 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class SrpGoldenCodecBenchmarks
{
    private readonly byte[] _output = new byte[WireLimits.FrameSizeMax];
    private readonly RtrItem[] _rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
    private readonly uint[] _listA = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _listB = new uint[WireLimits.ProcessorCountMax];
    private readonly MembCommitTokenMembEntry[] _memb = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];
    private byte[] _orfToken = [];
    private byte[] _mcast = [];
    private byte[] _mergeDetect = [];
    private byte[] _join = [];
    private byte[] _commitToken = [];
    private byte[] _tokenHoldCancel = [];

    [GlobalSetup]
    public void Setup()
    {
        _orfToken = Fixtures.Datagram("f-retransmit-recovery", 35);   // token with one rtr item, 73 B
        _mcast = Fixtures.Datagram("d-cpg-traffic", 388);             // full-size mcast, 1455 B
        _mergeDetect = Fixtures.Datagram("a-2node-formation", 16);    // 29 B
        _join = Fixtures.Datagram("b-third-node-joins", 44);           // proc [3,1,2]
        _commitToken = Fixtures.Datagram("b-third-node-joins", 46);    // 3 members
        _tokenHoldCancel = Fixtures.Datagram("d-cpg-traffic", 14);     // 25 B
        foreach (Func<int> roundTrip in new Func<int>[] { OrfToken, Mcast, MergeDetect, Join, CommitToken, TokenHoldCancel })
        {
            if (roundTrip() <= 0)
            {
                throw new InvalidOperationException("a golden datagram did not round-trip");
            }
        }
    }

    [Benchmark]
    public int OrfToken()
    {
        if (OrfTokenCodec.TryDecode(_orfToken, out OrfToken token, _rtr) != WireError.None)
        {
            return -1;
        }

        OrfTokenCodec.TryEncode(token, _rtr.AsSpan(0, token.RtrListEntries), _output, out int written);
        return written;
    }

    [Benchmark]
    public int Mcast()
    {
        if (McastCodec.TryDecode(_mcast, out McastHeader header, out ReadOnlySpan<byte> payload, out _) != WireError.None)
        {
            return -1;
        }

        McastCodec.TryEncode(header, payload, _output, out int written);
        return written;
    }

    [Benchmark]
    public int MergeDetect()
    {
        if (MembMergeDetectCodec.TryDecode(_mergeDetect, out MembMergeDetect message) != WireError.None)
        {
            return -1;
        }

        MembMergeDetectCodec.TryEncode(message, _output, out int written);
        return written;
    }

    [Benchmark]
    public int Join()
    {
        if (MembJoinCodec.TryDecode(_join, out MembJoin join, _listA, _listB) != WireError.None)
        {
            return -1;
        }

        MembJoinCodec.TryEncode(join, _listA.AsSpan(0, (int)join.ProcListEntries), _listB.AsSpan(0, (int)join.FailedListEntries), _output, out int written);
        return written;
    }

    [Benchmark]
    public int CommitToken()
    {
        if (MembCommitTokenCodec.TryDecode(_commitToken, out MembCommitToken token, _listA, _memb) != WireError.None)
        {
            return -1;
        }

        MembCommitTokenCodec.TryEncode(token, _listA.AsSpan(0, token.AddrEntries), _memb.AsSpan(0, token.AddrEntries), _output, out int written);
        return written;
    }

    [Benchmark]
    public int TokenHoldCancel()
    {
        if (TokenHoldCancelCodec.TryDecode(_tokenHoldCancel, out TokenHoldCancel message) != WireError.None)
        {
            return -1;
        }

        TokenHoldCancelCodec.TryEncode(message, _output, out int written);
        return written;
    }
}
