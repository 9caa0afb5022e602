namespace FastTotem.Cli.Bench;

/// <summary>Medians over the repetitions of a scenario, field by field (a run that failed does not count).</summary>
internal static class BenchMedian
{
    /// <summary>The median result per <see cref="BenchScenario.Key"/>, or the error when no run succeeded.</summary>
    public static Dictionary<string, BenchResult> Of(IEnumerable<BenchResult> results)
    {
        var map = new Dictionary<string, BenchResult>();
        foreach (IGrouping<string, BenchResult> g in results.GroupBy(r => r.Scenario.Key))
        {
            var ok = g.Where(r => r.Error == null).ToList();
            if (ok.Count == 0)
            {
                map[g.Key] = g.First();
                continue;
            }

            map[g.Key] = new BenchResult
            {
                Scenario = ok[0].Scenario with { Run = 0 },
                MsgsPerSec = Median(ok, r => r.MsgsPerSec),
                BytesPerSec = Median(ok, r => r.BytesPerSec),
                SentPerSec = Median(ok, r => r.SentPerSec),
                P50Ms = Median(ok, r => r.P50Ms),
                P99Ms = Median(ok, r => r.P99Ms),
                P999Ms = Median(ok, r => r.P999Ms),
                CpuPercentPerNode = Median(ok, r => r.CpuPercentPerNode),
                AllocBytesPerMsg = Median(ok, r => r.AllocBytesPerMsg),
                SenderThreadAllocBytes = ok.Max(r => r.SenderThreadAllocBytes),
                GcCount = ok.Max(r => r.GcCount),
                Gaps = ok.Sum(r => r.Gaps),
                Reorders = ok.Sum(r => r.Reorders),
                SyscallsPerMsg = Median(ok, r => r.SyscallsPerMsg),
                PacketsPerMsg = Median(ok, r => r.PacketsPerMsg),
                WakeupsPerMsg = Median(ok, r => r.WakeupsPerMsg),
                RingChanges = ok.Sum(r => r.RingChanges),
                DaemonCpuPercent = Median(ok, r => r.DaemonCpuPercent),
                DaemonCpuMaxPercent = Median(ok, r => r.DaemonCpuMaxPercent),
                DaemonRetransmits = ok.Any(r => r.DaemonRetransmits < 0) ? -1 : ok.Max(r => r.DaemonRetransmits),
                Note = NoteOf(ok, g.Count()),
            };
        }

        return map;
    }

    private static string NoteOf(List<BenchResult> ok, int runs)
    {
        var notes = new List<string>();
        if (ok.Count < runs)
        {
            notes.Add($"{ok.Count} of {runs} runs ok");
        }

        int reformed = ok.Count(r => r.Note.StartsWith("ring re-formed", StringComparison.Ordinal));
        if (reformed > 0)
        {
            notes.Add($"ring re-formed in {reformed} of {ok.Count} runs");
        }

        string? other = ok.Select(r => r.Note).FirstOrDefault(n => n.Length > 0 && !n.StartsWith("ring re-formed", StringComparison.Ordinal));
        if (other != null)
        {
            notes.Add(other);
        }

        return string.Join("; ", notes);
    }

    public static double Median(List<BenchResult> list, Func<BenchResult, double> field)
    {
        var values = list.Select(field).Where(v => !double.IsNaN(v)).OrderBy(v => v).ToList();
        if (values.Count == 0)
        {
            return double.NaN;
        }

        int mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    /// <summary>The median for a system/size/senders/rate, or null.</summary>
    public static BenchResult? Find(Dictionary<string, BenchResult> medians, string system, int size, bool all, double rate = 0)
    {
        BenchResult? r = medians.GetValueOrDefault(new BenchScenario(system, size, all, rate, 0).Key);
        return r;
    }
}
