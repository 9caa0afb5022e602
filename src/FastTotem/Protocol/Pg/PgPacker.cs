using System.Buffers.Binary;
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
    public int QueuedPackets => _queueCount;

    /// <summary>Free payload slots in the send queue (totemsrp_avail).</summary>
    public int QueueAvailable => _queueCapacity - _queueCount;

    /// <summary>Messages buffered for packing, waiting for the next token visit.</summary>
    public int PackedMessages => _state.PackedCount;

    /// <summary>True when anything waits to be sent, buffered or queued.</summary>
    public bool HasPendingData => _queueCount > 0 || _state.PackedCount > 0;

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
        _queueCount == 0 ? default : _queue.AsSpan(_queueHead * _netMtu, _queueLengths[_queueHead]);

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
