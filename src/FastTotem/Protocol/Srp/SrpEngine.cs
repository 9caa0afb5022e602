using FastTotem.Diagnostics;
using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// The Totem single-ring protocol of corosync 3.1.7 (totemsrp.c) as a sans-I/O state machine: datagrams and timeouts
/// go in with the current monotonic time, datagrams to send, the next deadline and deliveries come out through the
/// Poll* methods. Every buffer is allocated in the constructor; nothing is allocated afterwards.
/// </summary>
/// <remarks>
/// Split by aspect: SrpEngine.Receive.cs (datagram dispatch), .Membership.cs (gather, join, consensus, commit),
/// .Recovery.cs (recovery and installing a ring), .Token.cs (orf_token handling, flow control, retransmission),
/// .Delivery.cs (sort queue, aru, agreed delivery), .Timers.cs (timer table callbacks), .Send.cs (frame encoding).
/// </remarks>
internal sealed partial class SrpEngine
{
    private const long NsPerMs = 1_000_000;

    private readonly SrpConfig _config;
    private readonly SrpLimits _limits;

    /// <summary>The nodelist, sorted, for IsListed.</summary>
    private readonly uint[] _listedSorted;
    private readonly IRingSeqStore _seqStore;
    private readonly uint _myId;
    private readonly SrpCounters _counters = new();
    private readonly TimerTable _timers = new();

    // Timer periods in nanoseconds.
    private readonly long _tokenTimeoutNs;
    private readonly long _tokenRetransmitNs;
    private readonly long _holdNs;
    private readonly long _joinNs;
    private readonly long _consensusNs;
    private readonly long _mergeNs;

    // Sort queues (sq regular_sort_queue / recovery_sort_queue); swapped, never copied, when a ring is installed.
    private MessageStore _regular;
    private MessageStore _recovery;
    private readonly SendQueue _sendQueue;
    private readonly SendQueue _transQueue;
    private readonly SeqFifo _retransQueue;
    private readonly TransmitQueue _tx;
    private readonly EventQueue _events;

    // Membership sets (my_proc_list, my_failed_list, my_memb_list, ...).
    private readonly NodeSet _procList = NewSet();
    private readonly NodeSet _failedList = NewSet();
    private readonly NodeSet _membList = NewSet();
    private readonly NodeSet _newMembList = NewSet();
    private readonly NodeSet _transMembList = NewSet();
    private readonly NodeSet _deliverMembList = NewSet();
    private readonly NodeSet _leftMembList = NewSet();
    private readonly NodeSet _joinedList = NewSet();
    private readonly NodeSet _consensusSet = NewSet();
    private readonly NodeSet _leaveMembList = NewSet();
    private readonly NodeSet _scratchSet = NewSet();

    private readonly OrfTokenBuffer _token = new();
    private readonly CommitTokenBuffer _commitToken = new();
    private readonly CommitTokenBuffer _rxCommitToken = new();
    private readonly uint[] _joinProc = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _joinFailed = new uint[WireLimits.ProcessorCountMax];

    // Encoding scratch, the last token sent (orf_token_retransmit) and our last join for the loopback path.
    private readonly byte[] _frame;
    private readonly byte[] _lastToken;
    private int _lastTokenLength;
    private readonly byte[] _ownJoin;
    private int _ownJoinLength;
    private bool _ownJoinPending;

    /// <summary>The transmitter of the datagram being dispatched (<see cref="Transmitter"/>).</summary>
    private uint _transmitter;

    private SrpState _state = SrpState.Gather;
    private bool _started;
    private bool _left;
    private long _now;

    private MembRingId _ringId;
    private MembRingId _oldRingId;
    private ulong _tokenRingIdSeq;

    /// <summary>The highest ring seq this node persisted, installed or took from an accepted commit token: joins may
    /// raise the next ring's seq to at most <see cref="RingSeqJumpMax"/> above it (docs/robustness.md).</summary>
    private ulong _ringSeqHighKnown;

    /// <summary>Consecutive consensus timeouts that found no agreement (reset when a commit is entered).</summary>
    private int _consensusFailures;
    private uint _tokenTarget;

    private uint _myAru;
    private uint _myHighSeqReceived;
    private uint _myHighDelivered;
    private uint _myLastAru;
    private uint _lastReleased;
    private uint _myInstallSeq;
    private uint _myHighRingDelivered;
    private uint _myTokenSeq = uint.MaxValue;
    private uint _myLastSeq;
    private int _mySeqUnchanged;
    private bool _myTokenHeld;
    private int _myAruCount;
    private int _myRetransFlgCount;
    private int _myRotationCounter;
    private bool _mySetRetransFlg;
    private bool _myReceivedFlg = true;
    private bool _failedToRecv;

    private bool _oldRingStateSaved;
    private uint _oldRingStateAru;
    private uint _oldRingStateHighSeqReceived;

    // corosync starts waiting (totemsrp_initialize) and waits again at every ring installation; the flag lives in
    // the node's one sync phase, which totempg, sync and CPG read too.
    private readonly SyncPhase _phase = new();

    private bool _orfTokenDiscard;
    private bool _originatedOrfToken;

    // Flow control: my_trc, my_pbl, my_cbl.
    private uint _myTrc;
    private uint _myPbl;
    private uint _myCbl;

    /// <summary>this_seqno: every mcast this process sends, never reset.</summary>
    private uint _globalSeqno;

    public SrpEngine(SrpConfig config, IRingSeqStore store)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(store);
        if (config.NodeId == 0)
        {
            Invariant.ThrowArgument("config", "NodeId must not be 0 (0 marks a LEAVE).");
        }

        if (config.NodeList is null || config.NodeList.Length > WireLimits.ProcessorCountMax)
        {
            Invariant.ThrowArgument("config", "NodeList must hold at most 384 nodeids.");
        }

        if (SrpLimits.Validate(config.NetMtu, config.WindowSize, config.MaxMessages) is { } limitError)
        {
            Invariant.ThrowArgument("config", limitError);
        }

        if (config.TokenMs < 1 || config.TokenRetransmitMs < 1 || config.HoldMs < 1 || config.JoinMs < 1
            || config.ConsensusMs < 1 || config.MergeMs < 1)
        {
            // A zero or negative period re-arms its timer at once: a busy loop and a token flood.
            Invariant.ThrowArgument("config", "Every timer period must be at least 1 ms.");
        }

        _config = config;
        _listedSorted = (uint[])config.NodeList.Clone();
        Array.Sort(_listedSorted);
        _seqStore = store;
        _myId = config.NodeId;
        _tokenTimeoutNs = config.TokenMs * NsPerMs;
        _tokenRetransmitNs = config.TokenRetransmitMs * NsPerMs;
        _holdNs = config.HoldMs * NsPerMs;
        _joinNs = config.JoinMs * NsPerMs;
        _consensusNs = config.ConsensusMs * NsPerMs;
        _mergeNs = config.MergeMs * NsPerMs;

        // Every size comes from SrpLimits (docs/limits.md). The stores must hold a whole RECOVERY, not just the
        // operational window: in memb_state_recovery_enter every member of the transitional configuration re-sends
        // every old-ring message it holds above the lowest aru, so the recovery ring's seqs run to about members x
        // the old ring's unreleased range, and nothing is released before the ring is installed. With 1024 slots the
        // recovery ring hit fcc_rtr_limit for good (six members, ~190 unreleased messages each) and never installed
        // (simulator seeds 166, 285, 830); SrpLimits.StoreCapacityMin (4096) covers that case with room to spare.
        _limits = new SrpLimits(config);
        _regular = new MessageStore(_limits.StoreCapacity, _limits.StoreArenaBytes, _limits.FrameSizeMax);
        _recovery = new MessageStore(_limits.StoreCapacity, _limits.StoreArenaBytes, _limits.FrameSizeMax);
        _sendQueue = new SendQueue(_limits.SendQueueCapacity, _limits.MaxPayload);
        // The transitional lane carries only what a synchronisation sends (service lists, barriers, CPG join and
        // down lists): a fraction of the regular lane is plenty.
        _transQueue = new SendQueue(_limits.TransQueueCapacity, _limits.MaxPayload);
        _retransQueue = new SeqFifo(_regular.Capacity);
        _tx = new TransmitQueue(_limits.TransmitItems, _limits.ControlArenaBytes);
        _events = new EventQueue(_limits.EventCapacity);

        int controlMax = _limits.ControlFrameMax;
        _frame = new byte[_limits.TransmitBufferSize];
        _lastToken = new byte[controlMax];
        _ownJoin = new byte[MembJoinCodec.GetEncodedLength(WireLimits.ProcessorCountMax, WireLimits.ProcessorCountMax)];
    }

    private static NodeSet NewSet() => new(WireLimits.ProcessorCountMax);

    public SrpState State => _state;

    public MembRingId RingId => _ringId;

    /// <summary>The installed membership (my_memb_list), in commit-token order.</summary>
    public ReadOnlySpan<uint> Members => _membList.Span;

    public SrpCounters Counters => _counters;

    public uint NodeId => _myId;

    public SrpConfig Config => _config;

    /// <summary>Messages waiting for the token, in both lanes.</summary>
    public int SendQueueCount => _sendQueue.Count + _transQueue.Count;

    /// <summary>
    /// True from the installation of a ring until <see cref="TransAck"/> (corosync's waiting_trans_ack; also true
    /// before the first ring). While it is set the regular lane is held and only the transitional lane is sent.
    /// </summary>
    public bool WaitingTransAck => _phase.RegularLaneHeld;

    /// <summary>The node's synchronisation phase: this engine holds and opens the regular lane in it; the node machine hands it to the layers above.</summary>
    public SyncPhase Phase => _phase;

    /// <summary>Largest payload <see cref="TryMulticast(ReadOnlySpan{byte})"/> accepts (NetMtu − 90).</summary>
    public int MaxPayload => _config.MaxPayload;

    /// <summary>True between <see cref="Start"/> and <see cref="Leave"/>.</summary>
    public bool IsRunning => _started && !_left;

    /// <summary>
    /// corosync start-up (main_iface_change_fn): load the stored ring seq, use seq + 1 with ourselves as rep, and
    /// enter GATHER. Our own join reaches us through the loopback path, so a singleton ring forms at once.
    /// </summary>
    public void Start(long nowNs)
    {
        if (_started)
        {
            Invariant.ThrowInvalidOperation("The engine was already started.");
        }

        _started = true;
        _now = nowNs;
        ulong stored = _seqStore.Load(_myId);
        if (stored >= RingSeqPoisonedFrom)
        {
            // No cluster lives through 2^63 membership changes: a poisoning stored this; start again from 0.
            _counters.RingSeqPoisonIgnored++;
            stored = 0;
        }

        _ringSeqHighKnown = stored;
        _ringId = new MembRingId(_myId, stored + 1);
        _tokenRingIdSeq = _ringId.Seq;
        _regular.Reset(0);
        _recovery.Reset(0);
        GatherEnter(GatherReason.InterfaceChange);
        ProcessLoopback();
    }

    /// <summary>Handles any Totem datagram whose transmitter is not known (a capture replay), with nothing to pull on a
    /// token. Malformed ones are counted and dropped.</summary>
    public void HandleDatagram(ReadOnlySpan<byte> datagram, long nowNs) =>
        HandleDatagram(datagram, Transmitter.Unknown, nowNs);

    /// <summary>
    /// Handles any Totem datagram, with nothing to pull on a token. <paramref name="transmitter"/> is the nodeid the
    /// transport mapped the source address to (<see cref="Transmitter.Unlisted"/> for an address outside the nodelist,
    /// <see cref="Transmitter.Unknown"/> when the caller cannot say). Malformed, impossible and misattributed datagrams
    /// are counted and dropped.
    /// </summary>
    public void HandleDatagram(ReadOnlySpan<byte> datagram, uint transmitter, long nowNs)
    {
        var none = default(NoPayloadSource);
        HandleDatagram(datagram, transmitter, nowNs, ref none);
    }

    /// <summary>
    /// Handles any Totem datagram from <paramref name="transmitter"/> (as above); on a valid token of our ring the engine
    /// pulls <paramref name="payloads"/>' finished payloads before it multicasts. Malformed, impossible and
    /// misattributed datagrams are counted and dropped.
    /// </summary>
    public void HandleDatagram<TSource>(ReadOnlySpan<byte> datagram, uint transmitter, long nowNs, ref TSource payloads)
        where TSource : struct, IPayloadSource
    {
        if (!IsRunning)
        {
            _counters.DropNotRunning++;
            return;
        }

        AdvanceTime(nowNs);
        _transmitter = transmitter;
        Dispatch(datagram, ref payloads);
        _transmitter = Transmitter.Unknown;
        ProcessLoopback();
    }

    /// <summary>Fires every timer whose deadline is at or before <paramref name="nowNs"/>.</summary>
    public void HandleTimeout(long nowNs)
    {
        if (!IsRunning)
        {
            return;
        }

        AdvanceTime(nowNs);
        for (int guard = 0; guard < 4 * TimerTable.Count; guard++)
        {
            if (!_timers.TryTakeDue(nowNs, out SrpTimer timer))
            {
                break;
            }

            FireTimer(timer);
            ProcessLoopback();
        }
    }

    /// <summary>
    /// Queues a totempg payload for the next token visit (totemsrp_mcast), in any state, and cancels a held token
    /// (totemsrp_event_signal).
    /// </summary>
    public SendResult TryMulticast(ReadOnlySpan<byte> totempgPayload) =>
        TryMulticast(totempgPayload, _phase.RegularLaneHeld ? SendLane.Transitional : SendLane.Regular);

    /// <summary>
    /// Queues a totempg payload on an explicit lane. A packer that keeps its regular and transitional traffic apart
    /// uses this, so a fragment chain never changes lanes halfway (receivers reassemble each lane separately).
    /// </summary>
    public SendResult TryMulticast(ReadOnlySpan<byte> totempgPayload, SendLane lane)
    {
        if (!IsRunning)
        {
            return SendResult.Closed;
        }

        if (totempgPayload.Length > _config.MaxPayload)
        {
            return SendResult.TooLarge;
        }

        if (FaultPoints.Hit(FaultPoint.SrpSendQueueFull) ||
            !(lane == SendLane.Transitional ? _transQueue : _sendQueue).TryEnqueue(totempgPayload))
        {
            return SendResult.TryAgain;
        }

        TokenHoldCancelSend();
        return SendResult.Ok;
    }

    /// <summary>
    /// Hands back the newest payload the regular lane has not sent yet (newest first, so a caller that puts each
    /// back in front of its own queue keeps their order); false when the lane is empty. For a ring change that must
    /// put payloads ahead of what is queued (totempg restarting a chain for new members).
    /// </summary>
    internal bool TryTakeBackRegular(Span<byte> destination, out int length) => _sendQueue.TryTakeLast(destination, out length);

    /// <summary>
    /// totemsrp_trans_ack: the synchronisation of ring <paramref name="syncedRing"/> finished; if that is still the
    /// installed ring, the regular lane is sent again (returns true). An acknowledgement for an older ring is ignored:
    /// corosync acknowledges inside the delivery, so a synchronisation completed by an old-ring message delivered
    /// while the next ring is installed clears waiting_trans_ack just before the installation sets it again. Our
    /// events are read after the installation, so without the check that late acknowledgement would open the new
    /// ring's regular lane during its synchronisation.
    /// </summary>
    public bool TransAck(MembRingId syncedRing) => _phase.TransAck(ringIsCurrent: syncedRing == _ringId);

    /// <summary>Graceful shutdown (totemsrp_finalize): multicast a LEAVE and stop.</summary>
    public void Leave(long nowNs)
    {
        if (!IsRunning)
        {
            return;
        }

        AdvanceTime(nowNs);
        LeaveMessageSend();
        StandardMode();
        _left = true;
        _timers.CancelAll();
    }

    /// <summary>Writes the next datagram to send into <paramref name="buffer"/> (at least NetMtu bytes, or 11 KiB for
    /// commit tokens of large rings). Returns false when nothing is waiting.</summary>
    public bool PollTransmit(Span<byte> buffer, out TransmitInfo info) => _tx.TryDequeue(buffer, out info);

    /// <summary>The earliest armed deadline in nanoseconds, long.MaxValue if none.</summary>
    public long PollTimeout() => IsRunning ? _timers.Earliest() : long.MaxValue;

    /// <summary>The next delivery or configuration change. Drain after every call into the engine.</summary>
    public bool PollEvent(out SrpEvent ev) => _events.TryDequeue(out ev);

    /// <summary>
    /// The largest datagram PollTransmit can produce with the current configuration (SrpLimits.TransmitBufferSize):
    /// the driver sizes its transmit buffers from it.
    /// </summary>
    public int TransmitBufferSize => _limits.TransmitBufferSize;

    /// <summary>Every size this engine derived from its configuration.</summary>
    public SrpLimits Limits => _limits;
}
