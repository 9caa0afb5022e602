using System.Numerics;
using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// Every size the SRP engine and its driver allocate, derived in one place from totem.netmtu, window_size,
/// max_messages and the node limit (384). docs/limits.md gives the arithmetic. The engine, the config reader and
/// the driver all ask this type; nothing else picks a buffer size.
/// </summary>
internal sealed class SrpLimits
{
    /// <summary>
    /// The largest <see cref="TransmitBufferSize"/> of any configuration the engine accepts (netmtu 65,536 beats the
    /// 10,793-byte commit token): a driver that sizes its buffers once, before it knows the configuration, uses this.
    /// </summary>
    public const int TransmitBufferMax = NetMtuMax;

    /// <summary>Smallest netmtu the engine runs with: a 200-byte frame still carries 110 bytes of totempg payload.</summary>
    public const int NetMtuMin = 200;

    /// <summary>Largest netmtu (corosync's FRAME_SIZE_MAX): the config reader and the engine refuse more.</summary>
    public const int NetMtuMax = WireLimits.FrameSizeMax;

    /// <summary>
    /// A message store never has fewer slots: a RECOVERY re-sends every member's unreleased old-ring messages, and
    /// 1,024 was too few for six members (simulator seeds 166, 285, 830).
    /// </summary>
    public const int StoreCapacityMin = 4096;

    /// <summary>A message store never has more slots than corosync's sort queue (QUEUE_RTR_ITEMS_SIZE_MAX).</summary>
    public const int StoreCapacityMax = 16384;

    /// <summary>The store holds 8 × (window_size + max_messages) seqs (when that exceeds the minimum).</summary>
    public const int StoreWindowFactor = 8;

    /// <summary>The largest window_size + max_messages whose store still fits <see cref="StoreCapacityMax"/>.</summary>
    public const int WindowPlusMessagesMax = StoreCapacityMax / StoreWindowFactor;

    /// <summary>
    /// The cap on each message store's arena. Below it (netmtu up to about 8 KiB with 4,096 slots) the arena holds
    /// the ring's worst case for every seq in range; above it the arena stays at this size and flow control runs the
    /// ring's seqs only as far past the last release as the bytes allow (<see cref="StoreSeqRunMax"/>).
    /// </summary>
    public const int StoreArenaBytesMax = 32 * 1024 * 1024;

    /// <summary>Bytes of one arena entry's prefix (its seq and length), written in front of each stored frame.</summary>
    public const int StoreEntryPrefix = 8;

    /// <summary>corosync's MESSAGE_QUEUE_MAX: the regular send lane holds 4 MiB of payload slots.</summary>
    public const int SendQueueBytes = 4 * 1024 * 1024;

    /// <summary>The transitional send lane (synchronisation traffic only) holds at most 2 MiB of payload slots.</summary>
    public const int TransQueueBytesMax = 2 * 1024 * 1024;

    /// <summary>Control frames (tokens, joins, merge detects, hold cancels) one call into the engine can queue.</summary>
    public const int ControlFramesPerCall = 24;

    /// <summary>Transmit-queue items beyond the store's capacity (control frames and retransmissions of one visit).</summary>
    public const int TransmitItemsSlack = 256;

    /// <summary>Configuration-change events beyond two deliveries per stored seq.</summary>
    public const int EventsSlack = 64;

    /// <summary>Derives every size from <paramref name="config"/>; call <see cref="Validate"/> first.</summary>
    public SrpLimits(SrpConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Validate(config.NetMtu, config.WindowSize, config.MaxMessages, config.StoreCapacity) is { } error)
        {
            Invariant.ThrowArgument("config", error);
        }

        NetMtu = config.NetMtu;
        MaxPayload = config.MaxPayload; // netmtu − 90, or less when SendMtu keeps this node's own frames smaller (knet)
        FrameSizeMax = NetMtu;
        ControlFrameMax = Math.Max(
            MembCommitTokenCodec.GetEncodedLength(WireLimits.ProcessorCountMax),
            MembJoinCodec.GetEncodedLength(WireLimits.ProcessorCountMax, WireLimits.ProcessorCountMax));
        TransmitBufferSize = Math.Max(FrameSizeMax, ControlFrameMax);
        ControlArenaBytes = config.ControlArenaBytes > 0
            ? Math.Max(config.ControlArenaBytes, ControlFrameMax)
            : ControlFramesPerCall * ControlFrameMax;

        (StoreCapacity, StoreArenaBytes, StoreSeqRunMax) =
            StoreSizes(NetMtu, config.WindowSize, config.MaxMessages, config.StoreCapacity);
        StoreReserveBytes = 2 * (FrameSizeMax + StoreEntryPrefix);

        SendQueueCapacity = config.SendQueueCapacity > 0 ? config.SendQueueCapacity : Math.Max(1, SendQueueBytes / MaxPayload);
        TransQueueCapacity = config.SendQueueCapacity > 0
            ? config.SendQueueCapacity
            : Math.Max(16, Math.Min(Math.Max(256, SendQueueCapacity / 8), TransQueueBytesMax / MaxPayload));
        TransmitItems = StoreCapacity + TransmitItemsSlack;
        EventCapacity = 2 * StoreCapacity + EventsSlack;
    }

    public int NetMtu { get; }

    /// <summary>Largest totempg payload per mcast: netmtu − 90 (two mcast headers, so it can be encapsulated).</summary>
    public int MaxPayload { get; }

    /// <summary>Largest mcast frame stored or sent: an encapsulated one, 45 + 45 + MaxPayload = netmtu.</summary>
    public int FrameSizeMax { get; }

    /// <summary>Largest control frame: a commit token for 384 members (41 + 28 × 384 = 10,793 bytes).</summary>
    public int ControlFrameMax { get; }

    /// <summary>The buffer PollTransmit needs and the driver's send slots must hold: the larger of the two above.</summary>
    public int TransmitBufferSize { get; }

    /// <summary>The transmit queue's byte arena for control frames: <see cref="ControlFramesPerCall"/> of the
    /// largest, or <see cref="SrpConfig.ControlArenaBytes"/> when set (never less than one of the largest).</summary>
    public int ControlArenaBytes { get; }

    /// <summary>Slots (seqs in range) of each message store, a power of two.</summary>
    public int StoreCapacity { get; }

    /// <summary>
    /// Bytes of each message store's arena: frames kept at their real length, each behind an 8-byte prefix. The ring
    /// reclaims from its oldest entry only, so while one entry waits for release, up to 2 × run − 1 seqs can be
    /// added behind it (the seqs below it that arrived later and those above it): <see cref="ArenaEntriesFor"/>
    /// largest entries never refuse a frame. With run = capacity / 2 that is capacity + 3 entries, which also holds
    /// a RECOVERY's worst case (every slot, nothing released, plus the reserve). docs/limits.md has the argument.
    /// </summary>
    public int StoreArenaBytes { get; }

    /// <summary>
    /// How far past the last released seq an OPERATIONAL ring may run (fcc_rtr_limit's capacity): half the store's
    /// slots, or fewer when the arena is capped, so that (2 × run + 3) largest entries fit the arena.
    /// </summary>
    public int StoreSeqRunMax { get; }

    /// <summary>
    /// Bytes a store keeps free for the next seq the node is missing (its aru + 1), so a full arena can never stop
    /// the aru: two largest entries guarantee one contiguous one, wherever the ring wraps.
    /// </summary>
    public int StoreReserveBytes { get; }

    /// <summary>Payload slots of the regular send lane (MESSAGE_QUEUE_MAX / MaxPayload: 2,974 at netmtu 1,500).</summary>
    public int SendQueueCapacity { get; }

    /// <summary>Payload slots of the transitional send lane.</summary>
    public int TransQueueCapacity { get; }

    /// <summary>Items of the transmit queue.</summary>
    public int TransmitItems { get; }

    /// <summary>Events one call into the engine can produce: every stored seq delivered, plus configuration changes.</summary>
    public int EventCapacity { get; }

    /// <summary>Bytes the engine pins for its two stores, two send lanes and transmit arena.</summary>
    public long EngineBytes =>
        2L * StoreArenaBytes + (long)(SendQueueCapacity + TransQueueCapacity) * MaxPayload + ControlArenaBytes;

    /// <summary>Largest entries an arena needs for a ring of <paramref name="seqRun"/> seqs: 2 × run, one entry
    /// lost to the wrap, and the two of the reserve.</summary>
    public static long ArenaEntriesFor(int seqRun) => 2L * seqRun + 3;

    /// <summary>
    /// Null when the three values can run, else a sentence for the operator. The config reader puts the line in
    /// front of it.
    /// </summary>
    public static string? Validate(int netMtu, int windowSize, int maxMessages, int storeCapacity = 0)
    {
        if (netMtu < NetMtuMin || netMtu > NetMtuMax)
        {
            return $"netmtu {netMtu} is out of range: use {NetMtuMin} to {NetMtuMax} (corosync's FRAME_SIZE_MAX)";
        }

        if (windowSize < 1 || maxMessages < 1)
        {
            return $"window_size ({windowSize}) and max_messages ({maxMessages}) must be at least 1";
        }

        if ((long)windowSize + maxMessages > WindowPlusMessagesMax)
        {
            return $"window_size + max_messages is {(long)windowSize + maxMessages}, above {WindowPlusMessagesMax}: "
                + $"the message store holds {StoreWindowFactor} times their sum and at most {StoreCapacityMax} messages "
                + "(corosync's sort queue)";
        }

        (_, _, int run) = StoreSizes(netMtu, windowSize, maxMessages, storeCapacity);
        if (windowSize + maxMessages >= run)
        {
            return $"window_size + max_messages is {windowSize + maxMessages}, but at netmtu {netMtu} the message "
                + $"store's {StoreArenaBytesMax / (1024 * 1024)} MiB arena lets the ring run only {run} messages past "
                + "the last release: lower window_size or max_messages, or netmtu";
        }

        return null;
    }

    /// <summary>Slots, arena bytes and the operational seq run of one message store (inputs already in range).</summary>
    private static (int Capacity, int ArenaBytes, int SeqRun) StoreSizes(int netMtu, int windowSize, int maxMessages, int storeCapacity)
    {
        int requested = storeCapacity > 0
            ? storeCapacity
            : Math.Max(StoreCapacityMin, StoreWindowFactor * (windowSize + maxMessages));
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(requested, 16, StoreCapacityMax));
        int entryMax = netMtu + StoreEntryPrefix;
        int arena = (int)Math.Min(ArenaEntriesFor(capacity / 2) * entryMax, StoreArenaBytesMax);
        int run = Math.Min(capacity / 2, (arena / entryMax - 3) / 2);
        return (capacity, arena, run);
    }
}
