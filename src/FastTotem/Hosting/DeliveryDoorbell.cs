using FastTotem.Transport.Interop;

namespace FastTotem.Hosting;

/// <summary>
/// Lets the consumer of a delivery slab sleep until the loop thread writes a delivery, instead of spinning (what
/// libcpg's fd is to cpg_dispatch). An eventfd rung only when the consumer said it is about to sleep: the common
/// path costs the loop thread one interlocked compare per delivery and no system call. Lost wake-ups are avoided
/// by the order of operations: the consumer announces itself (full fence), then re-checks the slab, then sleeps;
/// the producer publishes the delivery, then takes the announcement (full fence) and rings.
/// </summary>
internal sealed unsafe class DeliveryDoorbell : IDisposable
{
    private int _fd;
    private int _sleeping;

    public DeliveryDoorbell()
    {
        _fd = LibcPoll.eventfd(0, LibcPoll.EFD_NONBLOCK | LibcPoll.EFD_CLOEXEC);
    }

    /// <summary>Loop thread, after publishing a delivery.</summary>
    public void Ring()
    {
        if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1 && _fd >= 0)
        {
            ulong one = 1;
            LibcPoll.write(_fd, &one, sizeof(ulong));
        }
    }

    /// <summary>
    /// Consumer: sleeps up to <paramref name="timeoutNs"/> unless <paramref name="ready"/> already holds; true when
    /// <paramref name="ready"/> holds afterwards.
    /// </summary>
    public bool Wait<TState>(long timeoutNs, TState state, Func<TState, bool> ready)
    {
        if (ready(state))
        {
            return true;
        }

        if (timeoutNs <= 0 || _fd < 0)
        {
            return false;
        }

        int fd = Volatile.Read(ref _fd);
        Interlocked.Exchange(ref _sleeping, 1);
        if (!ready(state))
        {
            LibcPoll.PollFd pfd = new() { Fd = fd, Events = LibcPoll.POLLIN };
            LibcPoll.TimeSpec ts = new() { Seconds = timeoutNs / 1_000_000_000, Nanoseconds = timeoutNs % 1_000_000_000 };
            LibcPoll.ppoll(&pfd, 1, &ts, null);
        }

        Volatile.Write(ref _sleeping, 0);
        ulong drained;
        LibcPoll.read(fd, &drained, sizeof(ulong));
        GC.KeepAlive(this); // the finalizer must not close fd while this call still uses it
        return ready(state);
    }

    public void Dispose()
    {
        Close();
        GC.SuppressFinalize(this);
    }

    /// <summary>A group its host let go without the node being disposed (it left, its leave was confirmed).</summary>
    ~DeliveryDoorbell() => Close();

    private void Close()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            LibcPoll.close(fd);
        }
    }
}
