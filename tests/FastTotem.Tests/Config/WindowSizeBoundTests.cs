using FastTotem.Hosting.Config;
using FastTotem.Protocol.Srp;

namespace FastTotem.Tests.Config;

/// <summary>
/// Evidence at 52f0792 (before SrpLimits): main's SrpLimitsTests refusals of window_size + max_messages above what the
/// store can hold, adapted to this tree (no SrpLimits.Validate yet). Finding M3.
/// </summary>
public class WindowSizeBoundTests
{
    [Theory]
    [InlineData("\twindow_size: 1000000\n", 3)]
    [InlineData("\tmax_messages: 2048\n", 3)]
    public void ConfigRefusesWhatTheBuffersCannotHoldAndNamesTheLine(string item, int line)
    {
        string text = "totem {\n\ttransport: udpu\n" + item + "}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n";
        CorosyncConfigException e = Assert.Throws<CorosyncConfigException>(() => CorosyncConfig.Parse(text, "test.conf"));
        Assert.Equal(line, e.Line);
        Assert.Contains("window_size + max_messages", e.Message);
    }

    [Fact]
    public void TheEngineRefusesAWindowItsStoreCannotHold()
    {
        // int.MaxValue for both: the store's 8 x (window + max_messages) overflows (a window of 1,000,000 would try to
        // allocate an 8-million-slot store here, so the test does not use it).
        const int window = int.MaxValue, maxMessages = int.MaxValue;
        var config = new SrpConfig { NodeId = 1, NodeList = [1], WindowSize = window, MaxMessages = maxMessages };
        ArgumentException e = Assert.Throws<ArgumentException>(() => new SrpEngine(config, new MemoryRingSeqStore()));
        Assert.Contains("window_size", e.Message);
    }
}
