namespace FastTotem.Cli.Bench;

/// <summary>
/// What a ring's corosync daemons did over a measured window: CPU in % of one core of the daemons on hosts 2..N
/// (mean and max; the hosts that only receive in a one-sender scenario), mcasts they retransmitted (summed over
/// every daemon, -1 when a count was unreadable) and the most new memberships one daemon logged.
/// </summary>
internal sealed record DaemonWindow(double CpuPercent, double CpuMaxPercent, long Retransmits, int Memberships);
