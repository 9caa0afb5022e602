using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastTotem.Diagnostics;
using FastTotem.Wire;

namespace FastTotem.Protocol.Pg;

/// <summary>
/// The totempg sender: packs application messages into mcast payloads of at most net_mtu bytes, fragments
/// the ones that do not fit, and keeps the finished payloads in a bounded queue the SRP engine drains when it
/// holds the token. Mirrors mcast_msg and callback_token_received_fn (totempg.c) decision for decision, so that
/// the same sends produce the same bytes as corosync (docs/wire-format.md §7.2):
/// <list type="bullet">
/// <item>A message is a list of pieces (the group header's length array, each group name, then the caller's
/// data pieces), and the "does it fit?" test looks at one whole piece at a time.</item>
/// <item>Pieces that fit are buffered and leave together at the next token visit
/// (<see cref="HandleTokenReceived"/>).</item>
/// <item>A piece that does not fit fills the current payload, which leaves at once marked with the next
/// fragment number; the remainder leaves on its own, never packed with later messages.</item>
/// <item>Fragment numbers come from one counter for the whole process: reset to 1 when a piece is buffered
/// whole, 255 wraps to 1.</item>
/// </list>
/// Single-threaded, allocation-free after construction.
/// </summary>
internal sealed class PgPacker
{
    /// <summary>A message must fit a receiver's reassembly buffer together with one payload of slack.</summary>
    public const int MessageSizeMax = WireLimits.AssemblyMax - WireLimits.FrameSizeMax;

    /// <summary>Most data pieces a caller passes with one message.</summary>
    public const int DataPieceCountMax = 4;

    private readonly int _netMtu;
    private readonly int _packetSize;
    private readonly byte[] _fragmentation;
    private readonly ushort[] _packedLengths;
    private readonly byte[] _queue;
    private readonly int[] _queueLengths;
    private readonly int _queueCapacity;

    /// <summary>corosync's MESSAGE_QUEUE_MAX (4 MiB) in payloads of the default net_mtu.</summary>
    public const int QueueCapacityDefault = 2974;
    private int _queueHead;
    private int _queueCount;
    private State _state;

    // Payloads put in front of the queue at a ring change (RestartChain, PushFront): they leave before it, in order.
    // A deque of net_mtu slots, allocated at the first restart and doubled when one needs more room: never in the
    // steady state, and bounded (the engine's regular queue taken back, plus one message's beginning and a break).
    private byte[] _front = [];
    private int[] _frontLengths = [];
    private int _frontHead;
    private int _frontCount;

    /// <param name="netMtu">Room for one totempg payload: corosync's net_mtu after totemsrp's reduction (1410 by default).</param>
    /// <param name="queueCapacity">Payloads the send queue holds (corosync: MESSAGE_QUEUE_MAX, 4 MiB / net_mtu).</param>
    public PgPacker(int netMtu = WireLimits.NetMtuDefault - WireLimits.NetMtuReduction, int queueCapacity = QueueCapacityDefault)
    {
        if (netMtu < 64 || netMtu > WireLimits.FrameSizeMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(netMtu), "net_mtu must be between 64 and 65536");
        }

        if (queueCapacity < 1)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(queueCapacity), "the send queue needs at least one slot");
        }

        _netMtu = netMtu;
        _packetSize = netMtu - PgMcastHeader.Size;
        _fragmentation = new byte[_packetSize];
        _packedLengths = new ushort[(_packetSize / sizeof(ushort)) + 1];
        _queueCapacity = queueCapacity;
        _queue = new byte[queueCapacity * netMtu];
        _queueLengths = new int[queueCapacity];
        _state = new State { NextFragment = 1 };
    }

    /// <summary>Largest payload this packer produces (net_mtu).</summary>
    public int PacketSizeMax => _netMtu;

    /// <summary>Payloads waiting for the token.</summary>
    public int QueuedPackets => _queueCount + _frontCount;

    /// <summary>Free payload slots in the send queue (totemsrp_avail).</summary>
    public int QueueAvailable => _queueCapacity - _queueCount;

    /// <summary>Messages buffered for packing, waiting for the next token visit.</summary>
    public int PackedMessages => _state.PackedCount;

    /// <summary>True when anything waits to be sent, buffered or queued.</summary>
    public bool HasPendingData => _queueCount > 0 || _frontCount > 0 || _state.PackedCount > 0;

    /// <summary>Fragmented chains restarted at a ring change (<see cref="RestartChain"/>).</summary>
    public long ChainRestarts { get; private set; }

    /// <summary>
    /// Hands one message to totempg (totempg_groups_mcast_groups): the group header of <paramref name="groups"/>
    /// followed by the data pieces. Returns <see cref="SendResult.TryAgain"/> without side effects when the
    /// send queue cannot take every payload the message needs.
    /// </summary>
    public SendResult TrySend(
        PgGroupSet groups,
        ReadOnlySpan<byte> data0,
        ReadOnlySpan<byte> data1 = default,
        ReadOnlySpan<byte> data2 = default,
        ReadOnlySpan<byte> data3 = default)
    {
        var pieces = new Pieces(groups, data0, data1, data2, data3);
        long total = 0;
        for (int i = 0; i < pieces.Count; i++)
        {
            total += pieces[i].Length;
        }

        if (total > MessageSizeMax)
        {
            return SendResult.TooLarge;
        }

        State dryRun = _state;
        int packets = Run(ref dryRun, ref pieces, emit: false);
        // The fault point spares sync messages: the node takes one from sync only after checking the queue's room.
        if (packets > QueueAvailable || (FaultPoints.Hit(FaultPoint.PackerFull) && groups != PgGroupSet.Sync))
        {
            // Would it fit an empty queue, after the buffered messages have left at a token visit?
            State empty = _state;
            empty.PackedCount = 0;
            empty.FragmentSize = 0;
            return Run(ref empty, ref pieces, emit: false) > _queueCapacity ? SendResult.TooLarge : SendResult.TryAgain;
        }

        Run(ref _state, ref pieces, emit: true);
        return SendResult.Ok;
    }

    /// <summary>
    /// The token has arrived (callback_token_received_fn): the buffered small messages become one payload,
    /// unless the send queue is full, in which case they wait for the next visit.
    /// </summary>
    public void HandleTokenReceived()
    {
        if (_state.PackedCount == 0 || _queueCount == _queueCapacity || FaultPoints.Hit(FaultPoint.PackerQueueFullAtToken))
        {
            return;
        }

        byte continuation = _state.FragmentContinuation;
        _state.FragmentContinuation = 0;
        Emit(0, continuation, _state.PackedCount, _state.FragmentSize);
        _state.PackedCount = 0;
        _state.FragmentSize = 0;
    }

    /// <summary>Takes the oldest queued payload into <paramref name="destination"/>; false when none is queued.</summary>
    public bool TryTakePacket(Span<byte> destination, out int length)
    {
        if (_frontCount > 0)
        {
            ReadOnlySpan<byte> front = PeekPacket();
            length = front.Length;
            if (destination.Length < length)
            {
                Invariant.ThrowArgument(nameof(destination), "the destination is smaller than net_mtu");
            }

            front.CopyTo(destination);
            return DropPacket();
        }

        if (_queueCount == 0)
        {
            length = 0;
            return false;
        }

        length = _queueLengths[_queueHead];
        if (destination.Length < length)
        {
            Invariant.ThrowArgument(nameof(destination), "the destination is smaller than net_mtu");
        }

        _queue.AsSpan(_queueHead * _netMtu, length).CopyTo(destination);
        _queueHead = (_queueHead + 1) % _queueCapacity;
        _queueCount--;
        return true;
    }

    /// <summary>Drops the oldest queued payload (after <see cref="PeekPacket"/> handed it on); false when none is queued.</summary>
    public bool DropPacket()
    {
        if (_frontCount > 0)
        {
            _frontHead = (_frontHead + 1) % _frontLengths.Length;
            _frontCount--;
            return true;
        }

        if (_queueCount == 0)
        {
            return false;
        }

        _queueHead = (_queueHead + 1) % _queueCapacity;
        _queueCount--;
        return true;
    }

    /// <summary>The oldest queued payload without taking it; empty when none is queued.</summary>
    public ReadOnlySpan<byte> PeekPacket() =>
        _frontCount > 0 ? _front.AsSpan(_frontHead * _netMtu, _frontLengths[_frontHead])
        : _queueCount == 0 ? default : _queue.AsSpan(_queueHead * _netMtu, _queueLengths[_queueHead]);

    /// <summary>
    /// The continuation number of the next payload to leave (what it continues, 0 when it starts a message), the
    /// payload being packed included; 0 when nothing waits.
    /// </summary>
    public byte NextContinuation
    {
        get
        {
            ReadOnlySpan<byte> next = PeekPacket();
            if (!next.IsEmpty)
            {
                return MemoryMarshal.Read<PgMcastHeader>(next).Continuation;
            }

            return _state.PackedCount > 0 ? _state.FragmentContinuation : (byte)0;
        }
    }

    /// <summary>True when the next payload to leave is a chain break <see cref="RestartChain"/> queued.</summary>
    public bool NextIsChainBreak => IsChainBreak(PeekPacket());

    /// <summary>
    /// Whether <paramref name="payload"/> is a chain break: one empty entry, not fragmented, continuing a chain. The
    /// packer never produces an empty entry otherwise (every piece it emits or packs holds at least one byte).
    /// </summary>
    public static bool IsChainBreak(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != PgMcastHeader.Size + sizeof(ushort))
        {
            return false;
        }

        PgMcastHeader header = MemoryMarshal.Read<PgMcastHeader>(payload);
        return header.Fragmented == 0 && header.Continuation != 0 && header.MsgCount == 1;
    }

    /// <summary>
    /// Puts a payload back in front of everything queued (the engine's unsent payloads at a ring change, newest
    /// first, so they leave again in their order). Allocates only when the front outgrows its room.
    /// </summary>
    public void PushFront(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > _netMtu)
        {
            Invariant.ThrowArgument(nameof(payload), "a payload is at most net_mtu bytes");
        }

        if (_frontCount == _frontLengths.Length)
        {
            GrowFront();
        }

        _frontHead = (_frontHead - 1 + _frontLengths.Length) % _frontLengths.Length;
        payload.CopyTo(_front.AsSpan(_frontHead * _netMtu, _netMtu));
        _frontLengths[_frontHead] = payload.Length;
        _frontCount++;
    }

    /// <summary>
    /// Restarts the chain the next payload continues, for members that never saw its beginning (a ring change let
    /// them in while this sender was halfway through a fragmented message). <paramref name="beginning"/> is what
    /// went out of the message so far (the sender's own reassembly of it) and <paramref name="continuation"/> the
    /// fragment number the next payload continues. In front of everything queued go: a chain break (one empty entry
    /// whose continuation number no receiver expects, not fragmented), on which every receiver, corosync's totempg
    /// included, drops its partial assembly of this sender and delivers nothing; then the beginning again as a fresh
    /// chain whose payloads each end with fragment number <paramref name="continuation"/>, so the queued payloads
    /// continue it unchanged and every member of the new ring delivers the message whole, once.
    /// </summary>
    public void RestartChain(ReadOnlySpan<byte> beginning, byte continuation)
    {
        if (continuation == 0 || beginning.IsEmpty)
        {
            Invariant.ThrowArgument(nameof(continuation), "a restarted chain continues a fragment and has a beginning");
        }

        int chunk = _packetSize - sizeof(ushort);
        int chunks = (beginning.Length + chunk - 1) / chunk;
        Span<ushort> length = stackalloc ushort[1];
        for (int i = chunks - 1; i >= 0; i--)
        {
            int offset = i * chunk;
            int size = Math.Min(chunk, beginning.Length - offset);
            length[0] = (ushort)size;
            Span<byte> slot = ReserveFront();
            PgPacket.WriteHeader(slot, continuation, i == 0 ? (byte)0 : continuation, length);
            beginning.Slice(offset, size).CopyTo(slot.Slice(PgMcastHeader.Size + sizeof(ushort)));
            _frontLengths[_frontHead] = PgMcastHeader.Size + sizeof(ushort) + size;
        }

        // A number neither an old member (continuation) nor a fresh assembly (0) expects.
        byte unexpected = continuation == byte.MaxValue ? (byte)1 : (byte)(continuation + 1);
        length[0] = 0;
        PgPacket.WriteHeader(ReserveFront(), 0, unexpected, length);
        _frontLengths[_frontHead] = PgMcastHeader.Size + sizeof(ushort);
        ChainRestarts++;
    }

    private Span<byte> ReserveFront()
    {
        if (_frontCount == _frontLengths.Length)
        {
            GrowFront();
        }

        _frontHead = (_frontHead - 1 + _frontLengths.Length) % _frontLengths.Length;
        _frontCount++;
        return _front.AsSpan(_frontHead * _netMtu, _netMtu);
    }

    private void GrowFront()
    {
        // One-time growth at a ring change, never in the steady state.
        int capacity = Math.Max(16, _frontLengths.Length * 2);
        byte[] front = new byte[capacity * _netMtu];
        int[] lengths = new int[capacity];
        for (int i = 0; i < _frontCount; i++)
        {
            int slot = (_frontHead + i) % _frontLengths.Length;
            _front.AsSpan(slot * _netMtu, _netMtu).CopyTo(front.AsSpan(i * _netMtu));
            lengths[i] = _frontLengths[slot];
        }

        _front = front;
        _frontLengths = lengths;
        _frontHead = 0;
    }

    /// <summary>
    /// One pass of mcast_msg over the pieces. With <paramref name="emit"/> false nothing is copied or queued and
    /// only the number of payloads that would leave is counted, so a send can be refused before it changes state.
    /// </summary>
    private int Run(ref State s, ref Pieces pieces, bool emit)
    {
        int packets = 0;
        int maxPacketSize = _packetSize - (sizeof(ushort) * (s.PackedCount + 1));
        int packedLength = 0;
        int copyBase = 0;
        int count = pieces.Count;
        int i = 0;
        while (i < count)
        {
            ReadOnlySpan<byte> piece = pieces[i];
            byte continuation = s.FragmentContinuation;
            int copyLength = piece.Length - copyBase;

            // The whole piece is compared, not the part left of it: the tail of a split piece never "fits".
            if (piece.Length + s.FragmentSize < maxPacketSize - sizeof(ushort))
            {
                if (emit)
                {
                    piece.Slice(copyBase, copyLength).CopyTo(_fragmentation.AsSpan(s.FragmentSize));
                }

                s.FragmentSize += copyLength;
                packedLength += copyLength;
                s.NextFragment = 1;
                copyBase = 0;
                i++;
                continue;
            }

            copyLength = Math.Min(copyLength, maxPacketSize - s.FragmentSize);
            if (emit)
            {
                piece.Slice(copyBase, copyLength).CopyTo(_fragmentation.AsSpan(s.FragmentSize));
            }

            packedLength += copyLength;
            byte fragmented = 0;
            if (i < count - 1 || copyBase + copyLength < piece.Length)
            {
                if (s.NextFragment == 0)
                {
                    s.NextFragment = 1;
                }

                s.FragmentContinuation = s.NextFragment;
                fragmented = s.NextFragment;
                s.NextFragment = unchecked((byte)(s.NextFragment + 1));
            }
            else
            {
                s.FragmentContinuation = 0;
            }

            if (emit)
            {
                _packedLengths[s.PackedCount] = (ushort)packedLength;
                Emit(fragmented, continuation, s.PackedCount + 1, s.FragmentSize + copyLength);
            }

            packets++;
            packedLength = 0;
            s.PackedCount = 0;
            s.FragmentSize = 0;
            maxPacketSize = _packetSize - sizeof(ushort);
            if (copyBase + copyLength == piece.Length)
            {
                copyBase = 0;
                i++;
            }
            else
            {
                copyBase += copyLength;
            }
        }

        // Count the message as packed only if some of it is still in the buffer.
        if (packedLength != 0)
        {
            if (emit)
            {
                _packedLengths[s.PackedCount] = (ushort)packedLength;
            }

            s.PackedCount++;
        }

        return packets;
    }

    private void Emit(byte fragmented, byte continuation, int entryCount, int dataLength)
    {
        int slot = (_queueHead + _queueCount) % _queueCapacity;
        Span<byte> packet = _queue.AsSpan(slot * _netMtu, _netMtu);
        PgPacket.WriteHeader(packet, fragmented, continuation, _packedLengths.AsSpan(0, entryCount));
        int dataOffset = PgMcastHeader.Size + (entryCount * sizeof(ushort));
        _fragmentation.AsSpan(0, dataLength).CopyTo(packet.Slice(dataOffset));
        _queueLengths[slot] = dataOffset + dataLength;
        _queueCount++;
    }

    /// <summary>The sender state corosync keeps in file-scope variables of totempg.c.</summary>
    private struct State
    {
        /// <summary>Bytes buffered in the fragmentation buffer (fragment_size).</summary>
        public int FragmentSize;

        /// <summary>Complete messages buffered (mcast_packed_msg_count).</summary>
        public int PackedCount;

        /// <summary>Continuation value for the next payload (fragment_continuation).</summary>
        public byte FragmentContinuation;

        /// <summary>The process-wide fragment counter (next_fragment).</summary>
        public byte NextFragment;
    }

    /// <summary>The message as a list of non-empty pieces, in totempg_groups_mcast_groups' iovec order.</summary>
    private ref struct Pieces
    {
        private readonly PgGroupSet _groups;
        private readonly ReadOnlySpan<byte> _d0;
        private readonly ReadOnlySpan<byte> _d1;
        private readonly ReadOnlySpan<byte> _d2;
        private readonly ReadOnlySpan<byte> _d3;
        private int _map;

        public Pieces(PgGroupSet groups, ReadOnlySpan<byte> d0, ReadOnlySpan<byte> d1, ReadOnlySpan<byte> d2, ReadOnlySpan<byte> d3)
        {
            _groups = groups;
            _d0 = d0;
            _d1 = d1;
            _d2 = d2;
            _d3 = d3;

            // corosync drops zero-length iovecs before packing; group names can be empty too.
            int groupPieces = 0;
            for (int i = 0; i < groups.PieceCount; i++)
            {
                if (groups.Piece(i).Length != 0)
                {
                    groupPieces++;
                }
            }

            _map = (d0.Length != 0 ? 1 : 0) | (d1.Length != 0 ? 2 : 0) | (d2.Length != 0 ? 4 : 0) | (d3.Length != 0 ? 8 : 0);
            GroupPieceCount = groupPieces;
            Count = groupPieces + BitCount(_map);
        }

        public int Count { get; }

        private int GroupPieceCount { get; }

        public readonly ReadOnlySpan<byte> this[int index]
        {
            get
            {
                if (index < GroupPieceCount)
                {
                    int seen = 0;
                    for (int i = 0; i < _groups.PieceCount; i++)
                    {
                        ReadOnlySpan<byte> p = _groups.Piece(i);
                        if (p.Length != 0)
                        {
                            if (seen == index)
                            {
                                return p;
                            }

                            seen++;
                        }
                    }
                }

                int data = index - GroupPieceCount;
                for (int bit = 0; bit < DataPieceCountMax; bit++)
                {
                    if ((_map & (1 << bit)) != 0)
                    {
                        if (data == 0)
                        {
                            return bit switch
                            {
                                0 => _d0,
                                1 => _d1,
                                2 => _d2,
                                _ => _d3,
                            };
                        }

                        data--;
                    }
                }

                return default;
            }
        }

        private static int BitCount(int value) => System.Numerics.BitOperations.PopCount((uint)value);
    }
}
