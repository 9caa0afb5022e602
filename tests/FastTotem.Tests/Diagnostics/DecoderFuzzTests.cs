using System.Diagnostics;
using FastTotem.Capture;
using FastTotem.Diagnostics;
using FastTotem.Tests.Capture;
using Xunit.Abstractions;

namespace FastTotem.Tests.Diagnostics;

public class DecoderFuzzTests
{
    private const int Inputs = 200_000;
    private const int DefaultSeed = 20261124;

    private readonly ITestOutputHelper _output;

    public DecoderFuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    internal static List<byte[]> GoldenDatagrams()
    {
        var datagrams = new List<byte[]>();
        foreach (string name in CaptureFixtures.Names)
        {
            foreach (CapturedDatagram datagram in CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(name)))
            {
                datagrams.Add(datagram.Payload);
            }
        }

        return datagrams;
    }

    /// <summary>knet packets: clear ones of capture a, the aes256/sha256 ones of capture b (sealed), and zlib-compressed DATA.</summary>
    internal static List<byte[]> KnetGoldenPackets()
    {
        var packets = new List<byte[]>();
        foreach (string capture in new[] { FastTotem.Tests.Knet.KnetFixtures.Plain, FastTotem.Tests.Knet.KnetFixtures.Aes256Sha256, "crypto-sweep/none-none-zlib.pcap" })
        {
            packets.AddRange(FastTotem.Tests.Knet.KnetFixtures.Datagrams(capture).Select(d => d.Payload));
        }

        return packets;
    }

    [Fact]
    public void Mutated_and_random_inputs_never_throw_or_read_outside_their_buffer()
    {
        // A fixed seed keeps the test deterministic; FASTTOTEM_SEED picks another one (the long
        // exploratory run with fresh seeds is ./build.sh fuzz).
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FASTTOTEM_SEED"), out int chosenSeed)
            ? chosenSeed
            : DefaultSeed;
        _output.WriteLine($"fuzz seed {seed} (replay with FASTTOTEM_SEED={seed})");
        var fuzzer = new DecoderFuzzer(GoldenDatagrams(), seed, KnetGoldenPackets(), FastTotem.Tests.Knet.KnetFixtures.Key(FastTotem.Tests.Knet.KnetFixtures.Aes256Sha256Key));
        var clock = Stopwatch.StartNew();

        fuzzer.Run(Inputs);

        _output.WriteLine($"{fuzzer.Summary()} in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(fuzzer.FailureCount == 0, $"seed {seed}: {fuzzer.FailureCount} failures:\n" + string.Join('\n', fuzzer.Failures));
        Assert.Equal(Inputs, fuzzer.Inputs);

        // The run must have reached every decoder with inputs it accepted, or it proves little.
        foreach (DecoderFuzzer.Decoder decoder in Enum.GetValues<DecoderFuzzer.Decoder>())
        {
            if (decoder is DecoderFuzzer.Decoder.Count or DecoderFuzzer.Decoder.VotequorumQdeviceReg
                or DecoderFuzzer.Decoder.VotequorumQdeviceReconfigure or DecoderFuzzer.Decoder.VotequorumReconfigure
                or DecoderFuzzer.Decoder.CpgDownlistOld)
            {
                continue;
            }

            Assert.True(fuzzer.Hits(decoder) > 0, $"seed {seed}: {decoder} never decoded an input");
        }
    }

    [Fact]
    public void The_same_seed_replays_the_same_inputs()
    {
        List<byte[]> golden = GoldenDatagrams();
        var first = new DecoderFuzzer(golden, 12345);
        var second = new DecoderFuzzer(golden, 12345);
        first.Run(3000);
        second.Run(3000);
        Assert.Equal(first.Summary(), second.Summary());
    }
}
