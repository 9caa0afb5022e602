
namespace FastTotem.Protocol.Knet;

/// <summary>
/// The knet link layer of one node, sans-I/O (libknet 1.25's rx, tx, heartbeat and PMTUd threads as one state
/// machine; docs/knet.md). Inputs: a received UDP datagram with the link socket and source address it came from
/// (<see cref="HandleDatagram"/>), a user datagram to send (<see cref="HandleSend"/>), and the clock
/// (<see cref="HandleTimeout"/>). Outputs, pulled: <see cref="PollTransmit"/> (one UDP datagram for one host and
/// link, written into the caller's buffer), <see cref="PollTimeout"/> and <see cref="PollEvent"/>. Time is
/// monotonic nanoseconds; it is also what PINGs carry, so the same clock must feed every call.
/// Everything is sized at construction; no call allocates.
/// </summary>
internal sealed partial class KnetMachine
{
    /// <summary>Heartbeat and PMTUd tick (KNET_THREADS_TIMERES).</summary>
    public const long TickNs = 200_000_000;

    /// <summary>Initial and after-down multiplier of the pong timeout (KNET_LINK_PONG_TIMEOUT_BACKOFF).</summary>
    public const int PongTimeoutBackoff = 10;

    /// <summary>Every this many DATA packets an untimed PING resynchronises the peers' duplicate windows.</summary>
    public const int UntimedPingEvery = 8191;

    /// <summary>Bytes of one transmit slot (a sealed fragment, PING, PONG or PMTUD_REPLY).</summary>
    public const int SlotSize = 4096;

    /// <summary>Data bytes per fragment FastTotem sends at most; receivers learn the size from the packets.</summary>
    public const int SendFragmentMaxDefault = SlotSize - 128;

    /// <summary>Smallest caller buffer for <see cref="PollTransmit"/>: a PMTUD probe can be as large as an IP packet.</summary>
    public const int TransmitBufferMin = 65536 + 256;

    /// <summary>Links per host, as libknet (KNET_MAX_LINK).</summary>
    public const int LinkMax = 8;
    public const int PmtudAttemptsMax = 30;

    private const int SlotCount = 512;
    private const int QueueCapacity = 8192;
    private const int EventCapacity = 256;
    private const long NsPerMs = 1_000_000;
    private const long NsPerUs = 1_000;

    private readonly KnetMachineOptions _options;
    private readonly IKnetCrypto? _crypto;
    private readonly KnetMtu _mtu;
    private readonly ushort _localId;
    private readonly int _hostCount;
    private readonly int _localIndex;
    private readonly ushort[] _hostIds;
    private readonly KnetLinkOptions?[] _linkOptions = new KnetLinkOptions?[LinkMax];

    // Per host.
    private readonly bool[] _reachable;
    private readonly KnetDuplicateWindow[] _windows;
    private readonly int[] _timedRxSeq;
    private readonly int[] _untimedRxSeq;
    private readonly bool[] _gotData;
    private readonly int[] _roundRobin;

    // Per host and link, index host * 8 + link.
    private readonly KnetAddress[] _address;
    private readonly bool[] _configured;
    private readonly bool[] _connected;
    private readonly int[] _receivedPongs;
    private readonly long[] _lastPingNs;
    private readonly long[] _lastPongNs;
    private readonly int[] _backoff;
    private readonly long[] _pongTimeoutAdjUs;
    private readonly int[] _latencySamples;
    private readonly bool[] _validMtu;
    private readonly int[] _linkMtu;
    private readonly KnetLinkCounters[] _linkCounters;
    private readonly PmtudState[] _pmtud;

    private readonly KnetDefragPool _defrag;

    // Transmit: sealed packets in slots, and a queue of (slot, host, link) to send them to.
    private readonly byte[] _slots = new byte[SlotCount * SlotSize];
    private readonly int[] _slotLength = new int[SlotCount];
    private readonly int[] _slotRefs = new int[SlotCount];
    private readonly int[] _freeSlots = new int[SlotCount];
    private int _freeSlotCount;
    private readonly int[] _queueSlot = new int[QueueCapacity];
    private readonly int[] _queueTarget = new int[QueueCapacity];
    private int _queueHead;
    private int _queueCount;
    private int _probesPending;

    private readonly KnetEvent[] _events = new KnetEvent[EventCapacity];
    private int _eventHead;
    private int _eventCount;

    // Scratch.
    private readonly byte[] _plain = new byte[KnetDefragPool.BufferSize + 256];
    private readonly int[] _destinations;
    private readonly int[] _targets;

    private KnetDropCounters _drops;
    private long _eventsLost;
    private ushort _txSeq;
    private long _nextTickNs;
    private int _ticks;
    private int _globalDataMtu;
    private bool _started;

    public KnetMachine(KnetMachineOptions options)
    {
        _options = options;
        _crypto = options.Crypto;
        _mtu = _crypto?.Mtu ?? new KnetMtu(false, 0);
        _localId = options.LocalHostId;
        _hostCount = options.Hosts.Length;
        if (_hostCount == 0 || _hostCount > 65535)
        {
            throw new ArgumentException("a knet machine needs 1..65535 hosts", nameof(options));
        }

        foreach (KnetLinkOptions l in options.Links)
        {
            if (l.LinkNumber is < 0 or >= LinkMax || _linkOptions[l.LinkNumber] != null)
            {
                throw new ArgumentException($"link {l.LinkNumber} is out of range or given twice", nameof(options));
            }

            if (l.PingIntervalMs < 1 || l.PingTimeoutMs < 1 || l.PongCount < 1 || l.PingPrecision < 1)
            {
                throw new ArgumentException($"link {l.LinkNumber}: ping interval, timeout, pong count and precision must be positive", nameof(options));
            }

            _linkOptions[l.LinkNumber] = l;
        }

        _hostIds = new ushort[_hostCount];
        _localIndex = -1;
        _reachable = new bool[_hostCount];
        _windows = new KnetDuplicateWindow[_hostCount];
        _timedRxSeq = new int[_hostCount];
        _untimedRxSeq = new int[_hostCount];
        _gotData = new bool[_hostCount];
        _roundRobin = new int[_hostCount];
        int n = _hostCount * LinkMax;
        _address = new KnetAddress[n];
        _configured = new bool[n];
        _connected = new bool[n];
        _receivedPongs = new int[n];
        _lastPingNs = new long[n];
        _lastPongNs = new long[n];
        _backoff = new int[n];
        _pongTimeoutAdjUs = new long[n];
        _latencySamples = new int[n];
        _validMtu = new bool[n];
        _linkMtu = new int[n];
        _linkCounters = new KnetLinkCounters[n];
        _pmtud = new PmtudState[n];
        for (int h = 0; h < _hostCount; h++)
        {
            KnetPeer peer = options.Hosts[h];
            _hostIds[h] = peer.HostId;
            for (int other = 0; other < h; other++)
            {
                if (_hostIds[other] == peer.HostId)
                {
                    throw new ArgumentException($"host id {peer.HostId} is given twice", nameof(options));
                }
            }

            _windows[h] = new KnetDuplicateWindow();
            _timedRxSeq[h] = -1;
            _untimedRxSeq[h] = -1;
            if (peer.HostId == _localId)
            {
                _localIndex = h;
                continue;
            }

            for (int l = 0; l < LinkMax; l++)
            {
                KnetLinkOptions? lo = _linkOptions[l];
                if (lo == null || l >= peer.LinkAddresses.Length || !peer.LinkAddresses[l].IsSet)
                {
                    continue;
                }

                int i = (h * LinkMax) + l;
                _address[i] = peer.LinkAddresses[l];
                _configured[i] = true;
                _backoff[i] = PongTimeoutBackoff;
                _pongTimeoutAdjUs[i] = (long)lo.PingTimeoutMs * 1000 * PongTimeoutBackoff;
                _validMtu[i] = true;
                _linkMtu[i] = InitialLinkMtu(lo);
            }
        }

        if (_localIndex < 0)
        {
            throw new ArgumentException($"the local host id {_localId} is not among the hosts", nameof(options));
        }

        _defrag = new KnetDefragPool(Math.Max(1, options.DefragBuffers));
        for (int s = SlotCount - 1; s >= 0; s--)
        {
            _freeSlots[_freeSlotCount++] = s;
        }

        _destinations = new int[_hostCount];
        _targets = new int[_hostCount * LinkMax];
        _globalDataMtu = _mtu.MinDataMtu;
    }

    public ushort LocalHostId => _localId;

    /// <summary>The data MTU fragments are cut at (libknet's global data MTU: the minimum over connected links).</summary>
    public int DataMtu => _globalDataMtu;

    /// <summary>The last DATA seq sent (0 before any).</summary>
    public ushort TxSeq => _txSeq;

    public ref readonly KnetDropCounters Drops => ref _drops;

    /// <summary>Events dropped because nobody polled them in time.</summary>
    public long EventsLost => _eventsLost;

    /// <summary>Defragmentation buffers holding a partial packet.</summary>
    public int DefragBuffersInUse => _defrag.InUse;

    public int HostCount => _hostCount;

    public ushort HostId(int hostIndex) => _hostIds[hostIndex];

    /// <summary>Index of <paramref name="hostId"/> in the host table, or -1.</summary>
    public int HostIndex(ushort hostId)
    {
        for (int h = 0; h < _hostCount; h++)
        {
            if (_hostIds[h] == hostId)
            {
                return h;
            }
        }

        return -1;
    }

    public bool IsReachable(int hostIndex) => _reachable[hostIndex];

    public bool IsConnected(int hostIndex, int link) => _connected[(hostIndex * LinkMax) + link];

    public bool IsConfigured(int hostIndex, int link) => _configured[(hostIndex * LinkMax) + link];

    public KnetAddress Address(int hostIndex, int link) => _address[(hostIndex * LinkMax) + link];

    /// <summary>The link's own data MTU (its PMTUd result, or the initial one).</summary>
    public int LinkMtu(int hostIndex, int link) => _linkMtu[(hostIndex * LinkMax) + link];

    public ref readonly KnetLinkCounters LinkCounters(int hostIndex, int link) => ref _linkCounters[(hostIndex * LinkMax) + link];

    /// <summary>Starts the timers. Call once, before anything else, with the current time.</summary>
    public void Start(long nowNs)
    {
        _started = true;
        _nextTickNs = nowNs;
    }

    /// <summary>When <see cref="HandleTimeout"/> is due next.</summary>
    public long PollTimeout() => _started ? _nextTickNs : long.MaxValue;

    public bool PollEvent(out KnetEvent ev)
    {
        if (_eventCount == 0)
        {
            ev = default;
            return false;
        }

        ev = _events[_eventHead];
        _eventHead = (_eventHead + 1) % EventCapacity;
        _eventCount--;
        return true;
    }

    private int InitialLinkMtu(KnetLinkOptions link)
    {
        if (_options.FixedIpMtu > 0)
        {
            return _mtu.DataMtu(_options.FixedIpMtu, link.IpOverhead);
        }

        int minPacket = link.IpOverhead == KnetMtu.Ipv6Overhead ? KnetMtu.MinIpv6Packet : KnetMtu.MinIpv4Packet;
        return _mtu.DataMtu(minPacket, link.IpOverhead);
    }

    private void Emit(KnetEventKind kind, int hostIndex, int link, int value)
    {
        if (_eventCount == EventCapacity)
        {
            _eventsLost++;
            return;
        }

        _events[(_eventHead + _eventCount) % EventCapacity] = new KnetEvent(kind, _hostIds[hostIndex], link, value);
        _eventCount++;
    }

    /// <summary>PMTUd progress of one host link (threads_pmtud.c, per link).</summary>
    private struct PmtudState
    {
        public bool Running;
        public bool ProbePending;
        public bool Waiting;
        public long NextRunNs;
        public long DeadlineNs;
        public int Onwire;
        public int LastGood;
        public int LastBad;
        public int Attempts;
        public int Multiplier;
    }
}

/// <summary>What changed in the knet machine; for logs and tests.</summary>
internal enum KnetEventKind
{
    LinkUp,
    LinkDown,
    HostReachable,
    HostUnreachable,

    /// <summary>A PMTUd run on a link finished; Value is the link's new data MTU.</summary>
    PmtudDone,

    /// <summary>A PMTUd run gave up after 30 attempts: the link lost its valid MTU.</summary>
    PmtudFailed,

    /// <summary>The global data MTU changed; Value is the new one.</summary>
    DataMtuChanged,
}

/// <summary>One knet machine event.</summary>
internal readonly record struct KnetEvent(KnetEventKind Kind, ushort HostId, int Link, int Value);

/// <summary>Where the datagram <see cref="KnetMachine.PollTransmit"/> produced goes: a host index and a link.</summary>
internal readonly record struct KnetTransmit(int HostIndex, int Link, int Length);

/// <summary>What <see cref="KnetMachine.HandleSend"/> did.</summary>
internal enum KnetSendResult
{
    Sent,

    /// <summary>No reachable destination (nothing is queued for later, as in libknet).</summary>
    NoRoute,

    /// <summary>The transmit queue has no room: drain <see cref="KnetMachine.PollTransmit"/> and retry.</summary>
    QueueFull,

    /// <summary>Larger than 64 KiB or than 255 fragments.</summary>
    TooLarge,
}
