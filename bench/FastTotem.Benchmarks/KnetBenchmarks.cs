using BenchmarkDotNet.Attributes;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Wire.Knet;

namespace FastTotem.Benchmarks;

/// <summary>
/// knet per-packet costs (docs/knet.md): sealing and opening a full-size DATA packet (1411 cleartext bytes,
/// the largest that fits a 1500-byte path with aes + sha256) and a PING, and the DATA header codec.
/// </summary>
[MemoryDiagnoser]
public class KnetBenchmarks
{
    private readonly byte[] _data = new byte[1411];
    private readonly byte[] _ping = new byte[KnetPing.Size];
    private readonly byte[] _sealed = new byte[1411 + KnetCrypto.OverheadMax];
    private readonly byte[] _sealedData = new byte[1411 + KnetCrypto.OverheadMax];
    private readonly byte[] _opened = new byte[1411 + KnetCrypto.OverheadMax];
    private int _sealedDataLength;
    private KnetCrypto _crypto = null!;

    /// <summary>The hash, by name: a public benchmark parameter cannot have the library's internal enum type.</summary>
    [Params(nameof(KnetHash.Sha256), nameof(KnetHash.Sha1))]
    public string Hash { get; set; } = nameof(KnetHash.Sha256);

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[256];
        new Random(1).NextBytes(key);
        new Random(2).NextBytes(_data);
        _crypto = new KnetCrypto(KnetCipher.Aes256, Enum.Parse<KnetHash>(Hash), key);
        var header = new KnetDataHeader { Header = new KnetHeader(KnetPacketType.Data, 1), Seq = 7, Broadcast = 1, FragmentCount = 1 };
        KnetCodec.TryEncodeDataHeader(header, _data);
        var ping = new KnetPing { Header = new KnetHeader(KnetPacketType.Ping, 1), TimeSeconds = 1411, Timed = 1 };
        KnetCodec.TryEncodePing(ping, _ping, out _);
        _crypto.Seal(_data, _sealedData, out _sealedDataLength);
    }

    [GlobalCleanup]
    public void Cleanup() => _crypto.Dispose();

    [Benchmark]
    public int SealData1411() => _crypto.Seal(_data, _sealed, out int written) == KnetCryptoStatus.Ok ? written : -1;

    [Benchmark]
    public int OpenData1411() => _crypto.Open(_sealedData.AsSpan(0, _sealedDataLength), _opened, out int written) == KnetCryptoStatus.Ok ? written : -1;

    [Benchmark]
    public int SealThenOpenPing()
    {
        _crypto.Seal(_ping, _sealed, out int sealedLength);
        return _crypto.Open(_sealed.AsSpan(0, sealedLength), _opened, out int written) == KnetCryptoStatus.Ok ? written : -1;
    }

    [Benchmark]
    public int DataHeaderDecodeEncode()
    {
        KnetCodec.TryDecodeData(_data, out KnetDataHeader header, out ReadOnlySpan<byte> user);
        KnetCodec.TryEncodeDataHeader(header, _opened);
        return user.Length + header.Seq;
    }
}
