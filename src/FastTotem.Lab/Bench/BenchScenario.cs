namespace FastTotem.Cli.Bench;

/// <summary>
/// One measurement: a system (<see cref="IBenchSystem.Name"/>), a message size, one sender or all, flood
/// (<see cref="Rate"/> 0) or a fixed rate per sender, and which repetition it is.
/// </summary>
internal sealed record BenchScenario(string System, int Size, bool AllSenders, double Rate, int Run)
{
    /// <summary>The key medians are taken over (everything but the run).</summary>
    public string Key => $"{System}|{Size}|{(AllSenders ? "all" : "one")}|{Rate}";

    public string Senders => AllSenders ? "all" : "one";

    public override string ToString() =>
        $"{System} {BenchFormat.Size(Size)} {Senders}{(Rate > 0 ? $" @{Rate:0}/s" : "")} run {Run}";
}
