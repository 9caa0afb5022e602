namespace FastTotem.Cli.Bench;

/// <summary>
/// Something the bench measures (FastTotem nodes, corosync daemons with cpgprobe, raw UDP, ...). A system may keep
/// state between scenarios (corosync's daemons stay up) and releases it on dispose.
/// </summary>
internal interface IBenchSystem : IDisposable
{
    /// <summary>The series name in tables and charts.</summary>
    string Name { get; }

    /// <summary>Null when the system can run here; else why not ("n/a (needs root)").</summary>
    string? Unavailable { get; }

    /// <summary>Whether this system has a meaning for <paramref name="scenario"/> (raw UDP has no "all senders").</summary>
    bool Supports(BenchScenario scenario);

    BenchResult Run(BenchScenario scenario);
}
