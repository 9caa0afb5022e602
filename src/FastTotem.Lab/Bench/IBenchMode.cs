namespace FastTotem.Cli.Bench;

/// <summary>
/// A family of scenarios (<c>fasttotem bench</c>'s throughput sweep, the fixed-rate latency point, and later
/// <c>--latency</c>'s ping-pong): it lists what to run and renders its part of the report. Add a mode by adding a
/// class and naming it in <see cref="BenchCommand"/>.
/// </summary>
internal interface IBenchMode
{
    string Name { get; }

    /// <summary>The scenarios to run, every repetition included, in the order they should run.</summary>
    IEnumerable<BenchScenario> Plan(BenchSettings settings);

    /// <summary>A markdown section over this mode's results (medians over runs).</summary>
    string Markdown(BenchSettings settings, IReadOnlyList<BenchResult> results);
}
