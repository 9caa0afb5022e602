using System.Globalization;

namespace FastTotem.Cli.Bench;

/// <summary>CPU time of a process from /proc/PID/stat (utime + stime), which works across namespaces.</summary>
internal static class ProcStat
{
    private static readonly double NsPerTick = 1e9 / 100; // USER_HZ is 100 on Linux

    /// <summary>User + system CPU of <paramref name="pid"/> in ns, or -1 when it is gone.</summary>
    public static long CpuNs(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/stat");
            int close = text.LastIndexOf(')');
            string[] fields = text[(close + 2)..].Split(' ');
            // fields[0] is state (field 3); utime is field 14, stime field 15.
            long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (long)((utime + stime) * NsPerTick);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    public static long SumCpuNs(IReadOnlyList<int> pids)
    {
        long sum = 0;
        foreach (int pid in pids)
        {
            long v = CpuNs(pid);
            if (v < 0)
            {
                return -1;
            }

            sum += v;
        }

        return sum;
    }
}
