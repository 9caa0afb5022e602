using System.Runtime.InteropServices;
using FastTotem.Protocol.Srp;
using FastTotem.Transport.Interop;
using Tmds.Linux;

namespace FastTotem.Transport;

/// <summary>
/// The Linux driver of one ring member: one thread owns the engine and the sockets. It waits in
/// epoll (or spins, in busy-poll mode) until a datagram arrives, the engine's next deadline passes,
/// or a host thread rings the eventfd; then it feeds the engine and sends what it produced.
/// Nothing in the loop allocates or locks.
/// </summary>
public sealed unsafe class RingDriver : IDisposable
{
    private const int MaxEvents = 8;

    private readonly SrpEngine _engine;
    private readonly IDatagramTransport _transport;
    private readonly IRingListener _listener;
    private readonly uint _localNodeId;
    private readonly byte[] _txBuffer;
    private readonly byte[] _selfBuffer;
    private readonly epoll_event[] _events = GC.AllocateArray<epoll_event>(MaxEvents, pinned: true);
    private int _epollFd = -1;
    private int _wakeFd = -1;
    private Thread? _thread;
    private volatile bool _stopping;
    private volatile bool _leaveOnStop = true;
    private int _tid;
    private int _cpu = -1;
    private int _pinnedCpu = -1;
    private int _pinErrno;
    private bool _schedRrApplied;
    private long _cpuMigrations;
    private long _iterations;

    internal RingDriver(SrpEngine engine, IDatagramTransport transport, IRingListener listener, uint localNodeId, int frameSizeMax = UdpTransport.SendSlotSize)
    {
        // Over knet the engine may retransmit a corosync frame of up to 64 KiB, so the buffers follow its frame size.
        _txBuffer = GC.AllocateArray<byte>(Math.Max(UdpTransport.SendSlotSize, frameSizeMax), pinned: true);
        _selfBuffer = new byte[_txBuffer.Length];
        _engine = engine;
        _transport = transport;
        _listener = listener;
        _localNodeId = localNodeId;
        _epollFd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        _wakeFd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (_epollFd < 0 || _wakeFd < 0)
        {
            throw new TransportException("cannot create epoll/eventfd", Marshal.GetLastPInvokeError());
        }

        for (int i = 0; i < transport.FdCount; i++)
        {
            Watch(transport.Fd(i));
        }

        Watch(_wakeFd);
    }

    /// <summary>Spin instead of sleeping in epoll: lowest latency, one core fully used.</summary>
    public bool BusyPoll { get; init; }

    /// <summary>
    /// The CPU to pin the loop thread to (sched_setaffinity on its tid when it starts), or -1 to leave it to the
    /// scheduler. Pinning the busy-polling loop to its own core keeps its caches warm and its latency flat.
    /// </summary>
    public int PinCpu { get; init; } = -1;

    /// <summary>
    /// Run the loop thread under SCHED_RR at the highest priority (corosync.conf system.sched_rr: yes; off unless
    /// asked, unlike corosync, because the loop shares the CPUs with its host). Never together with <see cref="BusyPoll"/>: a real-time thread that never sleeps would take a
    /// core from everything else.
    /// </summary>
    public bool SchedRr { get; init; }

    /// <summary>Iterations of the loop, for diagnostics.</summary>
    public long Iterations => Volatile.Read(ref _iterations);

    /// <summary>Where the loop thread runs: its tid, the CPU it was last seen on, whether pinning took.</summary>
    public LoopThreadInfo LoopInfo => new(
        Volatile.Read(ref _tid),
        Volatile.Read(ref _cpu),
        PinCpu,
        Volatile.Read(ref _pinnedCpu) >= 0,
        Volatile.Read(ref _pinErrno),
        BusyPoll,
        Volatile.Read(ref _iterations),
        Volatile.Read(ref _cpuMigrations),
        Volatile.Read(ref _schedRrApplied));

    public void Start(string threadName = "fasttotem-ring")
    {
        _thread = new Thread(Run) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    /// <summary>Wakes the loop from another thread (after enqueuing work for it).</summary>
    public void Wake()
    {
        ulong one = 1;
        LibC.write(_wakeFd, &one, sizeof(ulong));
    }

    /// <summary>Stops the loop; with <paramref name="leave"/> the node first sends corosync's LEAVE.</summary>
    public void Stop(bool leave = true)
    {
        _leaveOnStop = leave;
        _stopping = true;
        Wake();
        _thread?.Join();
        _thread = null;
    }

    public void Dispose()
    {
        if (_thread != null)
        {
            Stop(leave: false);
        }

        if (_epollFd >= 0)
        {
            LibC.close(_epollFd);
            _epollFd = -1;
        }

        if (_wakeFd >= 0)
        {
            LibC.close(_wakeFd);
            _wakeFd = -1;
        }
    }

    private void Run()
    {
        PinAndIdentify();
        long now = MonotonicClock.NowNs();
        _engine.Start(now);
        Pump(now);
        while (!_stopping)
        {
            long iteration = _iterations + 1;
            Volatile.Write(ref _iterations, iteration);

            // A busy loop samples its CPU every 1024 turns (sched_getcpu is cheap but not free); a sleeping one every turn.
            if (!BusyPoll || (iteration & 1023) == 0)
            {
                SampleCpu();
            }
            long deadline = Math.Min(_engine.PollTimeout(), _transport.PollTimeout());
            int waitMs = BusyPoll ? 0 : TimeoutMs(deadline, MonotonicClock.NowNs());
            int ready;
            fixed (epoll_event* events = _events)
            {
                ready = LibC.epoll_wait(_epollFd, events, MaxEvents, waitMs);
            }

            now = MonotonicClock.NowNs();
            for (int i = 0; i < ready; i++)
            {
                int fd = _events[i].data.fd;
                if (fd == _wakeFd)
                {
                    ulong count;
                    LibC.read(_wakeFd, &count, sizeof(ulong));
                    continue;
                }

                int got = _transport.Receive(fd);
                for (int d = 0; d < got; d++)
                {
                    ReadOnlySpan<byte> datagram = _transport.Datagram(d);
                    if (!datagram.IsEmpty)
                    {
                        _engine.HandleDatagram(datagram, _transport.SourceNodeId(d), now);
                    }
                }
            }

            if (_engine.PollTimeout() <= now)
            {
                _engine.HandleTimeout(now);
            }

            if (_transport.PollTimeout() <= now)
            {
                _transport.HandleTimeout(now);
            }

            Pump(now);
        }

        if (_leaveOnStop)
        {
            now = MonotonicClock.NowNs();
            _engine.Leave(now);
            Pump(now);
        }
    }

    /// <summary>Sends everything the engine produced and hands its events to the listener.</summary>
    private void Pump(long now)
    {
        // A datagram the engine addresses to itself (a singleton ring's token) goes straight back
        // in, as the kernel would loop it; bounded so a bug cannot spin here forever.
        for (int round = 0; round < 64; round++)
        {
            int selfLength = 0;
            while (_engine.PollTransmit(_txBuffer, out TransmitInfo info))
            {
                if (info.Destination == _localNodeId)
                {
                    _txBuffer.AsSpan(0, info.Length).CopyTo(_selfBuffer);
                    selfLength = info.Length;
                    continue;
                }

                if (!_transport.TryQueue(_txBuffer.AsSpan(0, info.Length), info.Destination))
                {
                    _transport.Flush();
                    Invariant.That(_transport.TryQueue(_txBuffer.AsSpan(0, info.Length), info.Destination),
                        "an empty transport takes any datagram the engine produces");
                }
            }

            _transport.Flush();
            while (_engine.PollEvent(out SrpEvent ev))
            {
                _listener.OnEvent(in ev);
            }

            // The host reacts to what it just heard (e.g. sync queues its service_build) and feeds the engine.
            _listener.OnIdle(_engine, now);

            if (selfLength == 0)
            {
                // What the host work just queued (a token hold cancel, the held token released) leaves now rather
                // than at the next wake-up, which on an idle ring is the next timer, hundreds of ms away.
                if (!_engine.HasTransmitPending)
                {
                    return;
                }

                continue;
            }

            _engine.HandleDatagram(_selfBuffer.AsSpan(0, selfLength), _localNodeId, now);
        }
    }

    /// <summary>On the loop thread, first thing: note its tid, pin it when asked, note its CPU.</summary>
    private void PinAndIdentify()
    {
        Volatile.Write(ref _tid, LibcSched.gettid());
        if (SchedRr && !BusyPoll)
        {
            // corosync's main.c: SCHED_RR at sched_get_priority_max; without CAP_SYS_NICE it logs and runs on.
            int priority = LibcSched.sched_get_priority_max(LibcSched.SchedRr);
            // LoopThreadInfo.RealTime tells whether it took.
            if (LibcSched.sched_setscheduler(0, LibcSched.SchedRr, &priority) == 0)
            {
                Volatile.Write(ref _schedRrApplied, true);
            }
        }
        if (PinCpu >= 0)
        {
            if (PinCpu >= LibcSched.CpuSetBytes * 8)
            {
                Volatile.Write(ref _pinErrno, 22); // EINVAL: beyond cpu_set_t
            }
            else
            {
                ulong* mask = stackalloc ulong[LibcSched.CpuSetBytes / sizeof(ulong)];
                new Span<ulong>(mask, LibcSched.CpuSetBytes / sizeof(ulong)).Clear();
                mask[PinCpu / 64] = 1UL << (PinCpu % 64);
                if (LibcSched.sched_setaffinity(0, LibcSched.CpuSetBytes, mask) == 0)
                {
                    Volatile.Write(ref _pinnedCpu, PinCpu);
                }
                else
                {
                    Volatile.Write(ref _pinErrno, Marshal.GetLastPInvokeError());
                }
            }
        }

        SampleCpu();
    }

    private void SampleCpu()
    {
        int cpu = LibcSched.sched_getcpu();
        if (cpu != _cpu)
        {
            if (_cpu >= 0)
            {
                Volatile.Write(ref _cpuMigrations, _cpuMigrations + 1);
            }

            Volatile.Write(ref _cpu, cpu);
        }
    }

    private static int TimeoutMs(long deadlineNs, long nowNs)
    {
        if (deadlineNs == long.MaxValue)
        {
            return 1000;
        }

        long remaining = deadlineNs - nowNs;
        if (remaining <= 0)
        {
            return 0;
        }

        // Round up so we never wake a hair before the deadline and spin.
        return (int)Math.Min(1000, (remaining + 999_999) / 1_000_000);
    }

    private void Watch(int fd)
    {
        epoll_event ev = default;
        ev.events = LibC.EPOLLIN;
        ev.data.fd = fd;
        if (LibC.epoll_ctl(_epollFd, LibC.EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            throw new TransportException($"epoll_ctl ADD {fd}", Marshal.GetLastPInvokeError());
        }
    }
}
