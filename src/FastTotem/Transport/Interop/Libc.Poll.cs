using System.Runtime.InteropServices;

namespace FastTotem.Transport.Interop;

/// <summary>
/// Bindings from &lt;poll.h&gt; and &lt;sys/eventfd.h&gt; for a host thread that sleeps until a delivery arrives:
/// ppoll(2) for a microsecond timeout, eventfd(2) as the doorbell the loop thread rings.
/// </summary>
internal static unsafe partial class LibcPoll
{
    internal const short POLLIN = 1;
    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    private const string Libc = "libc";

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>struct timespec (64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int ppoll(PollFd* fds, nuint nfds, TimeSpec* timeout, void* sigmask);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int close(int fd);
}
