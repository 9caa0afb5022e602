namespace FastTotem.Hosting;

/// <summary>
/// Bounds how long a group's messages wait before the ring delivers them: a host thread's message is admitted while
/// the bytes this member has in flight (accepted by <see cref="ProcessGroup.TryMulticast"/>, not yet delivered back
/// to it in agreed order) would be delivered within <see cref="BoundNs"/> at the rate the ring has been delivering
/// them, and never below a floor that keeps several token visits' worth queued, so a flooding sender keeps the ring
/// busy. Past that, <see cref="ProcessGroup.TryMulticast"/> answers back-pressure instead of letting the message join
/// a queue that would hold it for hundreds of milliseconds (a fixed 4 MiB queue does at 64 B).
/// <para>The rate is measured from this member's own deliveries over windows of <see cref="WindowNs"/>. It only falls
/// in windows where the sender was held back (its backlog bounded the ring, not its appetite); in other windows it can
/// only rise, so an idle spell does not shrink the budget a burst then finds. Bytes are counted as the cost of a
/// message on the wire, its length plus corosync's per-message header (<see cref="MessageOverhead"/>).</para>
/// Host threads call <see cref="TryAdmit"/>; the loop thread calls <see cref="OnDelivered"/> and <see cref="Tick"/>.
/// Nothing allocates; the clock is the caller's, so tests drive it.
/// </summary>
internal sealed class SendAdmission
{
    /// <summary>What a CPG message costs besides its data: 184 bytes of headers and 7 of packing (docs/benchmarks.md).</summary>
    public const int MessageOverhead = 191;

    /// <summary>The default bound: a few token rotations of a loaded 3-node ring on this class of machine.</summary>
    public const long DefaultBoundNs = 4_000_000;

    /// <summary>The default floor: two token visits of 17 full 1,500-byte frames, with room to spare.</summary>
    public const long DefaultFloorBytes = 64 * 1024;

    /// <summary>How often the rate is measured.</summary>
    public const long WindowNs = 5_000_000;

    /// <summary>How long in-flight bytes may go without a delivery before the count is taken for lost (see <see cref="Tick"/>).</summary>
    public const long StaleNs = 1_000_000_000;

    private long _inFlightBytes;   // host threads add, the loop subtracts
    private long _budgetBytes;     // written by the loop, read by host threads
    private int _refused;          // set by a host thread that met back-pressure in this window

    // Loop thread only.
    private long _windowStartNs = long.MinValue;
    private long _windowBytes;
    private long _lastDeliveryNs;
    private double _rateBytesPerNs;

    public SendAdmission(long boundNs = DefaultBoundNs, long floorBytes = DefaultFloorBytes)
    {
        if (boundNs < 0 || floorBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(boundNs), "the bound is zero (off) or positive, the floor positive");
        }

        BoundNs = boundNs;
        FloorBytes = floorBytes;
        _budgetBytes = boundNs == 0 ? long.MaxValue : floorBytes;
    }

    /// <summary>The time a message may wait in this member's queues at the measured rate; 0 turns the bound off.</summary>
    public long BoundNs { get; }

    /// <summary>Bytes always admitted in flight, whatever the measured rate.</summary>
    public long FloorBytes { get; }

    /// <summary>Bytes accepted and not yet delivered back (approximate while host threads send).</summary>
    public long InFlightBytes => Volatile.Read(ref _inFlightBytes);

    /// <summary>What may be in flight now: the floor, or the measured rate times the bound if that is more.</summary>
    public long BudgetBytes => Volatile.Read(ref _budgetBytes);

    /// <summary>The measured delivery rate of this member's own messages, in bytes per second.</summary>
    public double RateBytesPerSecond => _rateBytesPerNs * 1e9;

    /// <summary>Times the in-flight count was reset because nothing came back for <see cref="StaleNs"/>.</summary>
    public long Resyncs { get; private set; }

    /// <summary>What a message of <paramref name="length"/> bytes counts for.</summary>
    public static long Cost(int length) => length + (long)MessageOverhead;

    /// <summary>
    /// Host thread: admits a message of <paramref name="length"/> bytes (true) or answers back-pressure (false). A
    /// message is always admitted when nothing is in flight, so one larger than the budget still goes.
    /// </summary>
    public bool TryAdmit(int length)
    {
        long cost = Cost(length);
        long inFlight = Volatile.Read(ref _inFlightBytes);
        if (inFlight > 0 && inFlight + cost > Volatile.Read(ref _budgetBytes))
        {
            Volatile.Write(ref _refused, 1);
            return false;
        }

        Interlocked.Add(ref _inFlightBytes, cost);
        return true;
    }

    /// <summary>Host thread: takes back an admission whose message was not queued after all.</summary>
    public void Withdraw(int length) => Interlocked.Add(ref _inFlightBytes, -Cost(length));

    /// <summary>Loop thread: one of this member's own messages came back in agreed order.</summary>
    public void OnDelivered(long nowNs, int length)
    {
        long cost = Cost(length);
        if (Interlocked.Add(ref _inFlightBytes, -cost) < 0)
        {
            // Admitted before a resync: the count never goes below nothing in flight.
            Interlocked.Exchange(ref _inFlightBytes, 0);
        }

        _windowBytes += cost;
        _lastDeliveryNs = nowNs;
    }

    /// <summary>
    /// Loop thread, every turn: closes a measuring window when it is due and sets the budget from the rate. When
    /// bytes have been in flight for <see cref="StaleNs"/> without a single delivery (a message the ring will never
    /// deliver back, such as one queued as its group was left) the count starts again from nothing, so a lost message
    /// cannot hold the sender back for good. Returns true when it did so (a waiting sender should be woken).
    /// </summary>
    public bool Tick(long nowNs)
    {
        if (_windowStartNs == long.MinValue)
        {
            _windowStartNs = nowNs;
            _lastDeliveryNs = nowNs;
            return false;
        }

        bool reset = false;
        if (Volatile.Read(ref _inFlightBytes) > 0 && nowNs - _lastDeliveryNs >= StaleNs)
        {
            Interlocked.Exchange(ref _inFlightBytes, 0);
            _lastDeliveryNs = nowNs;
            Resyncs++;
            reset = true;
        }

        long elapsed = nowNs - _windowStartNs;
        if (elapsed < WindowNs)
        {
            return reset;
        }

        double measured = _windowBytes / (double)elapsed;
        bool heldBack = Interlocked.Exchange(ref _refused, 0) != 0;
        if (heldBack || measured > _rateBytesPerNs)
        {
            // Smoothed: a window is a few token rotations, and one slow rotation should not halve the budget.
            _rateBytesPerNs = _rateBytesPerNs == 0 ? measured : (0.5 * _rateBytesPerNs) + (0.5 * measured);
        }

        _windowStartNs = nowNs;
        _windowBytes = 0;
        if (BoundNs > 0)
        {
            Volatile.Write(ref _budgetBytes, Math.Max(FloorBytes, (long)(_rateBytesPerNs * BoundNs)));
        }

        return reset;
    }
}
