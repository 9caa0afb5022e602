using System.Diagnostics;

namespace FastTotem.Sim;

/// <summary>Runs a simulation and checks it; what the CLI, the tests and the sweep share.</summary>
internal static class SimRunner
{
    public static SimRunResult Run(SimOptions options)
    {
        long start = Stopwatch.GetTimestamp();
        var sim = new Simulator(options);
        SimHistory history = sim.Run();
        CheckReport report = TotemChecker.Check(history);
        return new SimRunResult
        {
            Options = options,
            History = history,
            Stats = sim.Stats,
            Report = report,
            RealTime = Stopwatch.GetElapsedTime(start),
            ScheduleFingerprint = sim.ScheduleFingerprint,
        };
    }
}
