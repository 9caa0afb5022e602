using System.Buffers.Binary;

namespace FastTotem.Interop.Hostile;

/// <summary>One Totem datagram seen on the lab's switch: lab host ids of its source and destination (0 when the
/// address is not a lab host's), and its UDP payload.</summary>
internal sealed record SniffedDatagram(int From, int To, byte[] Data)
{
    public byte Type => Data.Length > 3 ? Data[3] : (byte)255;
}

/// <summary>The fields of an orf_token the attacker builds forgeries from.</summary>
internal readonly record struct SniffedToken(int From, int To, uint HeaderNodeId, uint Seq, uint TokenSeq, uint Aru, uint Rep, ulong RingSeq)
{
    public static SniffedToken Parse(SniffedDatagram d) => new(d.From, d.To,
        BinaryPrimitives.ReadUInt32LittleEndian(d.Data.AsSpan(5)),
        BinaryPrimitives.ReadUInt32LittleEndian(d.Data.AsSpan(13)),
        BinaryPrimitives.ReadUInt32LittleEndian(d.Data.AsSpan(17)),
        BinaryPrimitives.ReadUInt32LittleEndian(d.Data.AsSpan(21)),
        BinaryPrimitives.ReadUInt32LittleEndian(d.Data.AsSpan(29)),
        BinaryPrimitives.ReadUInt64LittleEndian(d.Data.AsSpan(33)));
}

/// <summary>
/// The attacker's eyes: an AF_PACKET socket in the lab's switch namespace sees every frame crossing the bridge
/// (tokens and commit tokens are unicast, so a listed host's own socket would miss them). Keeps the last
/// <see cref="PoolSize"/> Totem datagrams (UDP to port 5405 on the lab subnet) and the latest token per receiver.
/// </summary>
internal sealed class RingSniffer : IDisposable
{
    public const int PoolSize = 4096;

    private readonly int _fd;
    private readonly byte[] _subnet;
    private readonly Thread _thread;
    private readonly object _gate = new();
    private readonly SniffedDatagram?[] _pool = new SniffedDatagram?[PoolSize];
    private readonly Dictionary<int, SniffedToken> _tokenTo = new();
    private volatile bool _stop;
    private long _count;
    private long _commits;
    private SniffedDatagram? _lastCommit;
    private ulong _joinRingSeqMax;

    private readonly int _ignoredInterface;
    private readonly bool _totemOnly;

    /// <param name="switchNamespace">The lab's switch.</param>
    /// <param name="subnetPrefix">"10.213.L." of the lab's addresses.</param>
    /// <param name="ignoredInterface">The bridge port of the attacker's own host: its forgeries are not the ring's state.</param>
    /// <param name="totemOnly">Keep only totem datagrams (udpu and udp); false keeps every datagram to port 5405 (knet's,
    /// sealed: the pool is all the attacker can learn about them).</param>
    public RingSniffer(string switchNamespace, string subnetPrefix, int ignoredInterface, bool totemOnly = true)
    {
        _totemOnly = totemOnly;
        _ignoredInterface = ignoredInterface;
        _subnet = subnetPrefix.TrimEnd('.').Split('.').Select(byte.Parse).ToArray();
        _fd = NetnsSockets.PacketSniffer(switchNamespace);
        _thread = new Thread(Run) { IsBackground = true, Name = "sniffer" };
        _thread.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>How many commit tokens crossed the switch so far.</summary>
    public long Commits
    {
        get
        {
            lock (_gate)
            {
                return _commits;
            }
        }
    }

    public SniffedDatagram? LastCommit
    {
        get
        {
            lock (_gate)
            {
                return _lastCommit;
            }
        }
    }

    public ulong JoinRingSeqMax
    {
        get
        {
            lock (_gate)
            {
                return _joinRingSeqMax;
            }
        }
    }

    /// <summary>The last orf_token sent to lab host <paramref name="to"/>, waiting up to <paramref name="timeout"/> for one.</summary>
    public SniffedToken TokenTo(int to, TimeSpan timeout)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            lock (_gate)
            {
                if (_tokenTo.TryGetValue(to, out SniffedToken t))
                {
                    return t;
                }
            }

            Thread.Sleep(20);
        }
        while (sw.Elapsed < timeout);

        throw new TimeoutException($"no token to node {to} seen on the switch ({Count} Totem datagrams seen)");
    }

    /// <summary>Forgets the tokens seen so far (so that <see cref="TokenTo"/> returns a fresh one).</summary>
    public void ForgetTokens()
    {
        lock (_gate)
        {
            _tokenTo.Clear();
        }
    }

    /// <summary>A copy of the datagrams seen so far (at most <see cref="PoolSize"/>, oldest first).</summary>
    public List<SniffedDatagram> Pool()
    {
        var list = new List<SniffedDatagram>(PoolSize);
        lock (_gate)
        {
            long n = _count;
            for (long i = Math.Max(0, n - PoolSize); i < n; i++)
            {
                list.Add(_pool[i % PoolSize]!);
            }
        }

        return list;
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(2000);
        NetnsSockets.Close(_fd);
    }

    private void Run()
    {
        var frame = new byte[65536];
        while (!_stop)
        {
            int n = NetnsSockets.ReceiveFrame(_fd, frame, out int packetType, out int ifIndex);
            if (n == 0 || packetType == 4 || ifIndex == _ignoredInterface)
            {
                continue; // timeout, the copy a bridge port sends out (the same frame came in on another port), or the attacker's
            }

            if (TryParse(frame.AsSpan(0, n), out SniffedDatagram? d))
            {
                Record(d!);
            }
        }
    }

    private bool TryParse(ReadOnlySpan<byte> frame, out SniffedDatagram? datagram)
    {
        datagram = null;
        if (frame.Length < 14 + 20 + 8 || frame[12] != 0x08 || frame[13] != 0x00)
        {
            return false;
        }

        ReadOnlySpan<byte> ip = frame[14..];
        int ihl = (ip[0] & 0x0f) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        if (ip[9] != 17 || (fragment & 0x3fff) != 0 || total > ip.Length || total < ihl + 8)
        {
            return false; // not UDP, or a fragment (only the attacker's own large forgeries are fragmented)
        }

        ReadOnlySpan<byte> udp = ip[ihl..total];
        if (BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) != 5405)
        {
            return false;
        }

        datagram = new SniffedDatagram(HostOf(ip.Slice(12, 4)), HostOf(ip.Slice(16, 4)), udp[8..].ToArray());
        return !_totemOnly || (datagram.Data.Length >= 13 && datagram.Data[0] == 0x70 && datagram.Data[1] == 0xc0);
    }

    private int HostOf(ReadOnlySpan<byte> address) =>
        address[0] == _subnet[0] && address[1] == _subnet[1] && address[2] == _subnet[2] ? address[3] : 0;

    private void Record(SniffedDatagram d)
    {
        lock (_gate)
        {
            _pool[_count % PoolSize] = d;
            Interlocked.Increment(ref _count);
            if (!_totemOnly)
            {
                return;
            }

            switch (d.Type)
            {
                case Forge.OrfToken when d.Data.Length >= 57:
                    _tokenTo[d.To] = SniffedToken.Parse(d);
                    break;
                case Forge.CommitToken when d.Data.Length >= 41:
                    _commits++;
                    _lastCommit = d;
                    break;
                case Forge.Join when d.Data.Length >= 33:
                    _joinRingSeqMax = Math.Max(_joinRingSeqMax, BinaryPrimitives.ReadUInt64LittleEndian(d.Data.AsSpan(25)));
                    break;
            }
        }
    }
}
