using System.Diagnostics;

namespace FastTotem.Sim;

/// <summary>Runs a simulation and checks it; what the CLI, the tests and the sweep share.</summary>
internal static class SimRunner
{
    /// <summary>How much virtual time runs between two calls of a run's progress callback.</summary>
    public const long ProgressSliceNs = SimFormat.NsPerSecond;

    /// <summary>
    /// Runs <paramref name="options"/> to its duration and checks the history. With <paramref name="progress"/>, the
    /// run goes in slices of one virtual second and the callback gets the virtual time reached and the events so far
    /// after each; the events processed are the same either way (events at a slice's end are in that slice).
    /// </summary>
    public static SimRunResult Run(SimOptions options, Action<long, long>? progress = null)
    {
        long start = Stopwatch.GetTimestamp();
        var sim = new Simulator(options);
        SimHistory history;
        if (progress == null)
        {
            history = sim.Run();
        }
        else
        {
            for (long t = Math.Min(ProgressSliceNs, options.DurationNs); ; t = Math.Min(t + ProgressSliceNs, options.DurationNs))
            {
                sim.RunUntil(t);
                progress(sim.NowNs, sim.Stats.Events);
                if (t >= options.DurationNs || sim.History.StallReason != null)
                {
                    break;
                }
            }

            sim.Finish();
            history = sim.History;
        }

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
