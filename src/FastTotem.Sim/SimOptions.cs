namespace FastTotem.Sim;

/// <summary>
/// Everything that defines a simulated run. Together with the seed these reproduce the run exactly. Times are
/// virtual nanoseconds. Random faults happen only in the fault phase (the first <see cref="FaultFraction"/> of the
/// run, shortened so the liveness phase fits the liveness bound plus a drain period).
/// </summary>
internal sealed class SimOptions
{
    public const int NodeCountMax = 32;

    /// <summary>A Linux clock slews by at most 500 ppm; a simulated one may drift up to twice that.</summary>
    public const int ClockDriftPpmLimit = 1000;

    public int NodeCount = 3;
    public ulong Seed = 1;
    public long DurationNs = 60 * SimFormat.NsPerSecond;

    /// <summary>Per-datagram probabilities during the fault phase.</summary>
    public double Loss, Duplicate, Reorder;

    /// <summary>Random partitions (and heals), random crashes (and restarts) during the fault phase.</summary>
    public bool Partitions, Crashes;

    /// <summary>
    /// Per-node clocks: each node's CLOCK_MONOTONIC runs fast or slow by up to this many parts per million (NTP slews
    /// at most 500), from a random boot offset, and the rate changes at random during the fault phase. 0: every node
    /// reads the simulator's clock.
    /// </summary>
    public int ClockDriftPpmMax;

    /// <summary>Random process or VM pauses (a GC, SIGSTOP, a hypervisor): the node runs nothing, then finds its clock moved on.</summary>
    public bool Pauses;

    /// <summary>The longest pause.</summary>
    public long PauseMaxNs = 3 * SimFormat.NsPerSecond;

    /// <summary>One-way link cuts and asymmetric partitions (A hears B, B does not hear A) during the fault phase.</summary>
    public bool OneWayLinks;

    /// <summary>Bursts of drops, duplicates or delays of one message type (token, mcast, join, commit, merge detect, hold cancel).</summary>
    public bool TypeFaults;

    /// <summary>A buggy but honest network: genuine datagrams sent earlier (stale tokens, old rings' traffic) arrive again.</summary>
    public bool Replays;

    /// <summary>Fault points inside the protocol code force its queue-full and store-full paths (<see cref="Diagnostics.FaultPoints"/>).</summary>
    public bool Buggify;

    /// <summary>
    /// Whole stack only: each node also runs a CPG process in group "simcpg" that multicasts the application's
    /// messages a second time through CPG and leaves and rejoins now and then, so CPG's paths run under the faults.
    /// </summary>
    public bool CpgTraffic;

    /// <summary>Datagrams a node's socket buffer holds before the kernel drops more (0: unbounded).</summary>
    public int ReceiveQueueMax;

    /// <summary>Application multicasts per node per virtual second (Poisson arrivals); 0 sends none.</summary>
    public double MessagesPerSecond = 10;

    /// <summary>Application data bytes per message (at least the 8-byte id).</summary>
    public int PayloadDataBytes = 16;

    /// <summary>Totem token timeout and coefficient, as in corosync.conf; the other timers derive from them.</summary>
    public int TokenMs = 1000;
    public int TokenCoefficientMs = 50;

    /// <summary>One-way datagram latency: a minimum plus uniform jitter; reordered datagrams get extra delay.</summary>
    public long LatencyMinNs = 50_000;
    public long LatencyJitterNs = 150_000;
    public long ReorderDelayMaxNs = 3 * SimFormat.NsPerMs;

    public double FaultFraction = 0.7;

    /// <summary>Mean time between random partition/crash steps.</summary>
    public long MeanFaultIntervalNs = 2 * SimFormat.NsPerSecond;

    /// <summary>Builds each node's engine; null means the whole node machine (<see cref="NodeSimEngine.Create"/>).</summary>
    public SimEngineFactory? EngineFactory;

    /// <summary>Smallest and largest batch one read hands a node's loop (drawn per read, as recvmmsg returns 1–64).</summary>
    public int ReceiveBatchMin = 1;

    public int ReceiveBatchMax = 64;

    /// <summary>A node's loop reads its socket buffer up to this long after a datagram lands (0: at once).</summary>
    public long ReadDelayMaxNs;

    public bool HasFaults => Partitions || Crashes || Loss > 0 || Duplicate > 0 || Reorder > 0 || HasNewFaults;

    /// <summary>Any of the faults added after the first sweeps (clocks, pauses, one-way links, per-type, replays, fault points).</summary>
    public bool HasNewFaults => ClockDriftPpmMax > 0 || Pauses || OneWayLinks || TypeFaults || Replays || Buggify;

    /// <summary>
    /// <c>--accelerated</c>: every node runs with the accelerated ring on (whole stack only: the mode is decided by
    /// sync v2's service lists), so every ring of the run is FastTotem-only and runs accelerated after its
    /// synchronisation (docs/accelerated-ring.md).
    /// </summary>
    public bool Accelerated;

    /// <summary>True for the SRP-only engine (<c>--stack srp</c>), false for the whole node stack.</summary>
    public bool SrpOnly => EngineFactory == (SimEngineFactory)SrpSimEngine.Create;

    /// <summary>The token timeout corosync derives for this node count (docs/wire-format.md §14).</summary>
    public int EffectiveTokenMs => NodeCount > 2 ? TokenMs + TokenCoefficientMs * (NodeCount - 2) : TokenMs;

    public int ConsensusMs => (int)(1.2 * EffectiveTokenMs);

    public const int JoinMs = 50;
    public const int MergeMs = 200;

    /// <summary>
    /// How long after the last fault heals one ring of all nodes must stand. A member that crashed just before the heal
    /// is noticed by token loss (token); a gather round ends by consensus (consensus), possibly twice when a round is
    /// disturbed by a node arriving late; merge detection takes a merge period, joins go out every join period; the
    /// commit token and recovery take a few rotations. One extra second covers rotations and latency.
    /// </summary>
    public long LivenessBoundNs =>
        (2L * EffectiveTokenMs + 2L * ConsensusMs + MergeMs + 10L * JoinMs + 1000) * SimFormat.NsPerMs;

    /// <summary>Quiet tail after the application stops, so every pending message can be delivered.</summary>
    public long DrainNs => (2L * EffectiveTokenMs + 1000) * SimFormat.NsPerMs;

    /// <summary>When faults stop (and everything heals): 0 for a fault-free run.</summary>
    public long FaultsEndNs =>
        !HasFaults ? 0 : Math.Max(0, Math.Min((long)(FaultFraction * DurationNs), DurationNs - LivenessBoundNs - DrainNs));

    public long AppStopNs => DurationNs - DrainNs;

    /// <summary>The shortest duration that leaves room for faults, the liveness bound and the drain.</summary>
    public long MinimumDurationNs => LivenessBoundNs + DrainNs + (HasFaults ? SimFormat.NsPerSecond : 0);

    /// <summary>Null when the options are usable, else a message naming the problem.</summary>
    public string? Validate()
    {
        if (NodeCount < 1 || NodeCount > NodeCountMax)
        {
            return $"nodes must be 1 to {NodeCountMax}";
        }

        if (!IsProbability(Loss) || !IsProbability(Duplicate) || !IsProbability(Reorder))
        {
            return "loss, dup and reorder must be fractions from 0 to 1";
        }

        if (Loss >= 1)
        {
            return "loss must be below 1 (nothing would ever arrive)";
        }

        if (TokenMs < 30 || TokenCoefficientMs < 0)
        {
            return "token must be at least 30 ms and the coefficient not negative";
        }

        if (MessagesPerSecond < 0 || double.IsNaN(MessagesPerSecond) || MessagesPerSecond > 100_000)
        {
            return "message rate must be 0 to 100000 per second";
        }

        if (PayloadDataBytes < SimPayload.IdSize || PayloadDataBytes > 1200)
        {
            return "payload data must be 8 to 1200 bytes";
        }

        if (DurationNs < MinimumDurationNs)
        {
            return $"duration must be at least {MinimumDurationNs / SimFormat.NsPerMs} ms for these timers " +
                   "(fault phase, liveness bound and drain)";
        }

        if (LatencyMinNs < 1 || LatencyJitterNs < 0 || ReorderDelayMaxNs < 0 || ReadDelayMaxNs < 0)
        {
            return "latencies must be positive";
        }

        if (ClockDriftPpmMax < 0 || ClockDriftPpmMax > ClockDriftPpmLimit)
        {
            return $"clock drift must be 0 to {ClockDriftPpmLimit} ppm";
        }

        if (PauseMaxNs < SimFormat.NsPerMs || PauseMaxNs > 10 * SimFormat.NsPerSecond)
        {
            return "the longest pause must be 1 ms to 10 s";
        }

        if (ReceiveQueueMax < 0)
        {
            return "the socket buffer holds 0 (unbounded) or more datagrams";
        }

        if (MeanFaultIntervalNs < SimFormat.NsPerMs)
        {
            return "the mean fault interval must be at least 1 ms";
        }

        if (Accelerated && SrpOnly)
        {
            return "--accelerated needs the whole stack (the mode is decided by sync v2's service lists)";
        }

        if (ReceiveBatchMin < 1 || ReceiveBatchMax < ReceiveBatchMin || ReceiveBatchMax > 64)
        {
            return "receive batches hold 1 to 64 datagrams";
        }

        return null;
    }

    private static bool IsProbability(double p) => p >= 0 && p <= 1 && !double.IsNaN(p);
}
