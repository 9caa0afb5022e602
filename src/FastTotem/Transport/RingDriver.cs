using System.Runtime.InteropServices;
using FastTotem.Protocol.Node;
using FastTotem.Transport.Interop;
using Tmds.Linux;

namespace FastTotem.Transport;

/// <summary>
/// The Linux driver of one ring member: one thread owns the node machine and the sockets. It waits in epoll (or
/// spins, in busy-poll mode) until a datagram arrives, the machine's next deadline passes, or a host thread rings the
/// eventfd; then it reads the clock and a recvmmsg batch and runs one <see cref="NodeLoop.Step{TIo}"/>. Sockets, clock
/// and epoll are all it owns; the loop itself is the one every driver runs. Nothing in it allocates or locks.
/// </summary>
internal sealed unsafe class RingDriver : IDisposable
{
    private const int MaxEvents = 8;

    private readonly NodeMachine _machine;
    private readonly IDatagramTransport _transport;
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
    private long _transmitDrops;
    private Exception? _fault;

    // Wake-ups only when the loop sleeps: a host thread counts its submission, then rings the eventfd only if the loop
    // is (about to be) asleep in epoll_wait; the loop, about to sleep, first looks whether a submission came in since
    // its last turn. Each side writes its own variable before it reads the other's, with a full fence in between, so
    // either the host sees the loop asleep or the loop sees the submission.
    private long _submissions;
    private long _submissionsSeen;
    private int _sleeping;
    private int _wakePending;
    private long _epollWaits;
    private long _wakeups;
    private long _wakeWrites;

    internal RingDriver(NodeMachine machine, IDatagramTransport transport)
    {
        // udpu/udp send a frame whole; knet fragments what exceeds its data MTU itself.
        if (transport is UdpTransport udp && udp.SendSlotSize < machine.TransmitBufferSize)
        {
            throw new ArgumentException(
                $"the transport's send slots ({udp.SendSlotSize} B) must hold the machine's largest frame ({machine.TransmitBufferSize} B)",
                nameof(transport));
        }

        _machine = machine;
        _transport = transport;
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

    /// <summary>
    /// Receives the machine's events on the loop thread (a host's bridge). Must not block; spans are valid during the
    /// call only. An exception out of it is treated as a fault of the node.
    /// </summary>
    internal INodeEventSink? EventSink { get; init; }

    /// <summary>
    /// Called once on the loop thread when the node faulted (a bug inside the machine, or the driver itself threw): the
    /// node has left the ring and the loop ends. The driver's owner reports it and may start a fresh node.
    /// </summary>
    internal Action<Exception>? Faulted { get; init; }

    /// <summary>The exception that ended the loop, if one did.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Datagrams the transport could not take even after a flush (never expected: its slots hold the largest frame).</summary>
    public long TransmitDrops => Volatile.Read(ref _transmitDrops);

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

    /// <summary>
    /// Tells the loop, from another thread, that work was enqueued for it. Rings the eventfd only when the loop sleeps
    /// (and only once per sleep): a busy loop finds the work on its next turn without a system call on either side.
    /// </summary>
    public void Wake()
    {
        Interlocked.Increment(ref _submissions);
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Interlocked.Increment(ref _wakeWrites);
            ulong one = 1;
            LibC.write(_wakeFd, &one, sizeof(ulong));
        }
    }

    /// <summary>The loop's system calls, datagrams and wake-ups so far (the transport's and its own). Any thread may read it.</summary>
    internal LoopIoCounters IoCounters => _transport.IoCounts with
    {
        EpollWaits = Volatile.Read(ref _epollWaits),
        Wakeups = Volatile.Read(ref _wakeups),
        WakeWrites = Volatile.Read(ref _wakeWrites),
    };

    /// <summary>
    /// Stops the loop; with <paramref name="leave"/> the node first sends corosync's LEAVE. Refused on the loop thread
    /// itself (from an event handler): the loop cannot wait for its own end.
    /// </summary>
    public void Stop(bool leave = true)
    {
        if (IsLoopThread)
        {
            throw new InvalidOperationException(
                "Stop and Dispose cannot be called on the protocol loop thread (from an event handler); call them from another thread");
        }

        _leaveOnStop = leave;
        _stopping = true;
        Wake();
        _thread?.Join();
        _thread = null;
    }

    /// <summary>
    /// From the loop thread (an event handler): end the loop after this step and send corosync's LEAVE on the way out,
    /// as <see cref="Stop"/> does from another thread. The owner still calls <see cref="Stop"/> or Dispose later.
    /// </summary>
    internal void LeaveFromLoop()
    {
        if (!IsLoopThread)
        {
            throw new InvalidOperationException("LeaveFromLoop is for the protocol loop thread; call Stop from other threads");
        }

        _leaveOnStop = true;
        _stopping = true;
    }

    /// <summary>True when the calling thread is this driver's loop thread.</summary>
    public bool IsLoopThread => _thread != null && Thread.CurrentThread == _thread;

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
        try
        {
            Loop();
        }
        catch (Exception exception)
        {
            // The driver's own code threw (the machine's exceptions are caught by the step): the node is lost.
            _machine.Fault(MonotonicClock.NowNs(), exception);
            OnFault(exception);
        }
    }

    private void Loop()
    {
        var io = new Io(this, -1);
        long now = MonotonicClock.NowNs();
        NodeLoop.Step(_machine, ref io, now, NodeLoop.Input.Start);
        while (!_stopping && !_machine.Faulted)
        {
            long iteration = _iterations + 1;
            Volatile.Write(ref _iterations, iteration);

            // A busy loop samples its CPU every 1024 turns (sched_getcpu is cheap but not free); a sleeping one every turn.
            if (!BusyPoll || (iteration & 1023) == 0)
            {
                SampleCpu();
            }

            long deadline = Math.Min(_machine.PollTimeout(), _transport.PollTimeout());
            int waitMs = BusyPoll ? 0 : TimeoutMs(deadline, MonotonicClock.NowNs());
            if (waitMs != 0)
            {
                Volatile.Write(ref _sleeping, 1);
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _submissions) != _submissionsSeen)
                {
                    waitMs = 0; // host work came in during the last turn: look at it instead of sleeping
                }
            }

            int ready;
            fixed (epoll_event* events = _events)
            {
                ready = LibC.epoll_wait(_epollFd, events, MaxEvents, waitMs);
            }

            Volatile.Write(ref _epollWaits, _epollWaits + 1);
            Volatile.Write(ref _sleeping, 0);
            Volatile.Write(ref _wakePending, 0);
            Interlocked.MemoryBarrier();
            _submissionsSeen = Volatile.Read(ref _submissions); // every submission up to here is seen by this turn's steps

            now = MonotonicClock.NowNs();
            bool stepped = false;
            for (int i = 0; i < ready; i++)
            {
                int fd = _events[i].data.fd;
                if (fd == _wakeFd)
                {
                    ulong count;
                    LibC.read(_wakeFd, &count, sizeof(ulong));
                    Volatile.Write(ref _wakeups, _wakeups + 1);
                    continue;
                }

                // One recvmmsg batch per step; the step hands its datagrams over one at a time and drains after each.
                io = new Io(this, fd);
                NodeLoop.Step(_machine, ref io, now);
                stepped = true;
            }

            if (!stepped)
            {
                io = new Io(this, -1);
                NodeLoop.Step(_machine, ref io, now);
            }

            // The transport's own timers (knet's heartbeat and PMTUd; udpu/udp have none), then what they produced.
            if (_transport.PollTimeout() <= now)
            {
                _transport.HandleTimeout(now);
                _transport.Flush();
            }
        }

        if (_leaveOnStop && !_machine.Faulted)
        {
            io = new Io(this, -1);
            NodeLoop.Step(_machine, ref io, MonotonicClock.NowNs(), NodeLoop.Input.Leave);
        }
    }

    private void OnFault(Exception exception)
    {
        if (Interlocked.CompareExchange(ref _fault, exception, null) != null)
        {
            return;
        }

        _stopping = true;
        try
        {
            Faulted?.Invoke(exception);
        }
        catch (Exception)
        {
            // The owner's fault report failed too; the fault stays readable on Fault.
        }
    }

    /// <summary>The epoll driver's side of the step: one recvmmsg batch in, sendmmsg out, events to the host's sink.</summary>
    private readonly struct Io : INodeIo
    {
        private readonly RingDriver _driver;
        private readonly int _count;

        public Io(RingDriver driver, int fd)
        {
            _driver = driver;
            _count = fd < 0 ? 0 : driver._transport.Receive(fd);
        }

        public int ReceivedCount => _count;

        public ReadOnlySpan<byte> Received(int index) => _driver._transport.Datagram(index);

        public NodeSource ReceivedSource(int index) => new(_driver._transport.SourceNodeId(index));

        public void Transmit(ReadOnlySpan<byte> datagram, uint destination)
        {
            IDatagramTransport transport = _driver._transport;
            if (!transport.TryQueue(datagram, destination))
            {
                transport.Flush();
                if (!transport.TryQueue(datagram, destination))
                {
                    _driver._transmitDrops++;
                }
            }
        }

        public void Flush() => _driver._transport.Flush();

        public void OnEvent(in NodeEvent ev) => _driver.EventSink?.OnEvent(in ev);

        public void OnFault(Exception exception) => _driver.OnFault(exception);
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
