using Xunit.Abstractions;

namespace FastTotem.Tests.Knet;

/// <summary>A random test's seed: FASTTOTEM_SEED when set (to replay a failure), else a fresh one; written to the test output.</summary>
internal static class TestSeed
{
    public static int Pick(ITestOutputHelper output, string test)
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FASTTOTEM_SEED"), out int chosen) ? chosen : Environment.TickCount & 0x7FFFFFFF;
        output.WriteLine($"{test}: seed {seed} (replay with FASTTOTEM_SEED={seed})");
        return seed;
    }
}
