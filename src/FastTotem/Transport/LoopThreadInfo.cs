namespace FastTotem;

/// <summary>Where a node's protocol loop thread runs (<see cref="TotemNode.LoopThreadInfo"/>).</summary>
/// <param name="Tid">The loop thread's kernel thread id (0 before it started).</param>
/// <param name="Cpu">The CPU it was last seen on (sched_getcpu, sampled by the loop), or -1 before it started.</param>
/// <param name="PinCpu">The CPU it was asked to be pinned to, or -1.</param>
/// <param name="Pinned">True when sched_setaffinity to <paramref name="PinCpu"/> succeeded.</param>
/// <param name="PinErrno">The errno of a failed pin (0 when it worked or was not asked for).</param>
/// <param name="BusyPoll">True when the loop spins instead of sleeping in epoll.</param>
/// <param name="Iterations">Turns of the loop so far.</param>
/// <param name="CpuMigrations">How often a sample found the thread on a different CPU than the previous one.</param>
/// <param name="RealTime">True when the loop runs under SCHED_RR (corosync.conf system.sched_rr, and the privilege to).</param>
[BaseLayer]
public readonly record struct LoopThreadInfo(int Tid, int Cpu, int PinCpu, bool Pinned, int PinErrno, bool BusyPoll, long Iterations, long CpuMigrations, bool RealTime = false);
