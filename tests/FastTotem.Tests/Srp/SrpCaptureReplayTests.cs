using FastTotem.Wire;
using Xunit.Abstractions;

namespace FastTotem.Tests.Srp;

public partial class SrpCaptureReplayTests(ITestOutputHelper output)
{
    private void Dump(CaptureReplay.Result r, int max = 400)
    {
        int n = Math.Max(r.Captured.Count, r.Produced.Count);
        for (int i = 0; i < Math.Min(n, max); i++)
        {
            string c = i < r.Captured.Count ? $"#{r.Captured[i].Frame} {r.Captured[i].AtNs / 1000_000.0:F1} {WireView.Describe(0, r.Captured[i].Bytes)}" : "-";
            string p = i < r.Produced.Count ? $"{r.Produced[i].AtNs / 1000_000.0:F1} {WireView.Describe(0, r.Produced[i].Bytes)}" : "-";
            bool same = i < r.Captured.Count && i < r.Produced.Count
                && CaptureReplay.WithoutTarget(r.Captured[i].Bytes).AsSpan().SequenceEqual(CaptureReplay.WithoutTarget(r.Produced[i].Bytes));
            output.WriteLine((same ? "   " : "!! ") + c + "\n     " + p);
        }
    }

    /// <summary>
    /// Asserts that the engine sent exactly what the captured node sent: the same datagrams in the same order,
    /// byte for byte except target_nodeid (stack junk in corosync), each within <paramref name="toleranceMs"/> of
    /// its captured time.
    /// </summary>
    private void AssertIdentical(CaptureReplay.Result r, double toleranceMs)
    {
        Dump(r);
        Assert.Equal(r.Captured.Count, r.Produced.Count);
        double worstMs = 0;
        for (int i = 0; i < r.Captured.Count; i++)
        {
            Assert.Equal(r.Captured[i].To, r.Produced[i].To);
            Assert.Equal(CaptureReplay.WithoutTarget(r.Captured[i].Bytes), CaptureReplay.WithoutTarget(r.Produced[i].Bytes));
            double deltaMs = (r.Produced[i].AtNs - r.Captured[i].AtNs) / 1e6;
            Assert.InRange(deltaMs, -toleranceMs, toleranceMs);
            worstMs = Math.Max(worstMs, Math.Abs(deltaMs));
        }

        output.WriteLine($"{r.Captured.Count} datagrams identical; worst time difference {worstMs:F2} ms");
    }

    /// <summary>
    /// Capture a, node 1: start-up join, singleton ring 1.5 with its 8 messages, merge_detect every ~360 ms, the
    /// joins, commit tokens and tokens of ring 1.9, the sync round, then the idle ring with the token held and
    /// re-sent every hold period: all 6.4 s of it.
    /// </summary>
    [Fact]
    public void ReplayCaptureA_Node1_SendsExactlyWhatCorosyncSent()
    {
        var r = CaptureReplay.Run("a-2node-formation", 1, [1, 2], 1000, 0, 6_400_000_000);
        Assert.True(r.Captured.Count > 100);
        AssertIdentical(r, 10);
    }

    [Fact]
    public void ReplayCaptureA_Node2()
    {
        var r = CaptureReplay.Run("a-2node-formation", 2, [1, 2], 1000, 0, 6_400_000_000, loopbackNs: 400_000);
        AssertIdentical(r, 10);
    }

    [Fact]
    public void ReplayCaptureB_Node3()
    {
        var r = CaptureReplay.Run("b-third-node-joins", 3, [1, 2, 3], 1000, 0, 6_000_000_000, loopbackNs: 400_000);
        AssertIdentical(r, 10);
    }

    /// <summary>
    /// Captures b then c of the same run, as node 3: it joins ring {1,2} (b), idles in 1.13, and when node 1 is
    /// killed (c) it re-sends its last token every token_retransmit, loses the token after 1650 ms, sends joins every
    /// 50 ms for the 1980 ms consensus timeout, puts node 1 in the failed list and forms 2.17 with node 2.
    /// </summary>
    [Fact]
    public void ReplayCapturesBThenC_Node3_ThroughTheRepsCrash()
    {
        var r = CaptureReplay.Run(["b-third-node-joins", "c-node1-sigkill"], 3, [1, 2, 3], 1000, 0, long.MaxValue, loopbackNs: 400_000, gapNs: 1_000_000);
        Assert.True(r.Captured.Count > 150, $"{r.Captured.Count} captured");
        AssertIdentical(r, 10);
    }

    /// <summary>Capture d as node 3: it starts while ring 1.9 carries CPG traffic and joins it (ring 1.13).</summary>
    [Fact]
    public void ReplayCaptureD_Node3()
    {
        var r = CaptureReplay.Run("d-cpg-traffic", 3, [1, 2, 3], 1000, 0, long.MaxValue, loopbackNs: 400_000);
        Assert.True(r.Captured.Count > 50, $"{r.Captured.Count} captured");
        AssertIdentical(r, 10);
    }
}
