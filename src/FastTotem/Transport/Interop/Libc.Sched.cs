using System.Runtime.InteropServices;

namespace FastTotem.Transport.Interop;

/// <summary>
/// Bindings from &lt;sched.h&gt; and &lt;unistd.h&gt; for pinning the loop thread and reporting where it runs.
/// cpu_set_t is glibc's 1024-bit mask (128 bytes), passed as 16 ulongs.
/// </summary>
internal static unsafe partial class LibcSched
{
    /// <summary>Bytes of glibc's cpu_set_t (CPU_SETSIZE 1024 bits).</summary>
    internal const int CpuSetBytes = 128;

    private const string Libc = "libc";

    /// <summary>sched_setaffinity(2): <paramref name="tid"/> 0 is the calling thread.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sched_setaffinity(int tid, nuint cpusetsize, ulong* mask);

    /// <summary>sched_getaffinity(2).</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sched_getaffinity(int tid, nuint cpusetsize, ulong* mask);

    /// <summary>sched_getcpu(3): the CPU the calling thread runs on now (vDSO/rseq, a few nanoseconds).</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sched_getcpu();

    /// <summary>SCHED_RR from &lt;sched.h&gt;.</summary>
    internal const int SchedRr = 2;

    /// <summary>sched_setscheduler(2) with struct sched_param (one int, the priority); <paramref name="tid"/> 0 is the calling thread.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sched_setscheduler(int tid, int policy, int* param);

    /// <summary>sched_get_priority_max(2).</summary>
    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sched_get_priority_max(int policy);

    /// <summary>gettid(2) (glibc 2.30+): the kernel id of the calling thread.</summary>
    [LibraryImport(Libc)]
    internal static partial int gettid();
}
