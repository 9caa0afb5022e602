namespace FastTotem.Sim;

internal sealed partial class Simulator
{
    private readonly Stack<byte[]> _bufferPool = new();
    private readonly long[] _linkFifoNs;
    private readonly bool[] _linkCut;
    private readonly long[] _linkClogNs;
    private int _linksClogged;
    private readonly SimRandom _typeRandom;
    private int _linksCut;
    private readonly double[] _typeLoss = new double[TypeCount];
    private readonly double[] _typeDuplicate = new double[TypeCount];
    private readonly double[] _typeDelay = new double[TypeCount];
    private readonly long[] _typeDelayMaxNs = new long[TypeCount];
    private int _typeFaultsActive;

    /// <summary>The Totem message types (docs/wire-format.md: the type byte at offset 3): token .. token hold cancel.</summary>
    internal const int TypeCount = 6;
    private double _loss, _duplicate, _reorder;
    private SimDatagramFilter? _filter;

    /// <summary>Per-datagram loss probability in force now (the random schedule sets it for the fault phase).</summary>
    public double Loss
    {
        get => _loss;
        set { _loss = value; Fingerprint('l', BitConverter.DoubleToInt64Bits(value)); MarkFault(); }
    }

    public double Duplicate
    {
        get => _duplicate;
        set { _duplicate = value; Fingerprint('d', BitConverter.DoubleToInt64Bits(value)); MarkFault(); }
    }

    public double Reorder
    {
        get => _reorder;
        set { _reorder = value; Fingerprint('r', BitConverter.DoubleToInt64Bits(value)); MarkFault(); }
    }

    /// <summary>A scripted drop rule, consulted for every datagram between two connected live nodes.</summary>
    public SimDatagramFilter? Filter
    {
        get => _filter;
        set { _filter = value; Fingerprint('f', value == null ? 0 : 1); MarkFault(); }
    }

    /// <summary>
    /// Routes one datagram from PollTransmit. Destination 0 is the "mcast" path: every other configured node (the
    /// engine handles its own copy internally). A nodeid is a unicast, to itself included (a singleton ring's token).
    /// </summary>
    internal void Send(SimNode from, uint destination, ReadOnlySpan<byte> datagram)
    {
        if (destination == 0)
        {
            for (int i = 0; i < _nodes.Length; i++)
            {
                if (i != from.Index)
                {
                    Transmit(from, _nodes[i], datagram);
                }
            }
        }
        else if (destination <= (uint)_nodes.Length)
        {
            Transmit(from, _nodes[destination - 1], datagram);
        }
        else
        {
            Stats.BadDestination++;
        }
    }

    private void Transmit(SimNode from, SimNode to, ReadOnlySpan<byte> datagram)
    {
        Stats.DatagramsSent++;
        if (!to.Up)
        {
            Stats.DroppedNodeDown++;
            return;
        }

        if (from.Group != to.Group)
        {
            Stats.DroppedPartition++;
            return;
        }

        bool loopback = from == to;
        if (_filter != null && _filter(from.NodeId, to.NodeId, datagram))
        {
            Stats.DroppedFilter++;
            MarkFault();
            return;
        }

        if (_linksCut > 0 && _linkCut[from.Index * _nodes.Length + to.Index])
        {
            Stats.DroppedOneWay++;
            return;
        }

        if (_replayLog != null && !loopback)
        {
            LogForReplay(from, to, datagram);
        }

        if (loopback)
        {
            // The kernel loops a node's datagram to itself without loss, reordering or duplication.
            Schedule(from, to, datagram, NowNs + Options.LatencyMinNs / 2 + 1, fifo: false);
            return;
        }

        if (_loss > 0 && _netRandom.Chance(_loss))
        {
            Stats.DroppedLoss++;
            return;
        }

        int type = datagram.Length > 3 && datagram[3] < TypeCount ? datagram[3] : -1;
        long typeDelayNs = 0;
        int copies = _duplicate > 0 && _netRandom.Chance(_duplicate) ? 2 : 1;
        if (_typeFaultsActive > 0 && type >= 0)
        {
            if (_typeLoss[type] > 0 && _typeRandom.Chance(_typeLoss[type]))
            {
                Stats.DroppedTypeFault++;
                return;
            }

            if (_typeDuplicate[type] > 0 && _typeRandom.Chance(_typeDuplicate[type]))
            {
                copies++;
            }

            if (_typeDelay[type] > 0 && _typeRandom.Chance(_typeDelay[type]))
            {
                Stats.DelayedTypeFault++;
                typeDelayNs = _typeRandom.NextLong(1, _typeDelayMaxNs[type] + 1);
            }
        }

        if (copies >= 2)
        {
            Stats.Duplicated += copies - 1;
        }

        for (int c = 0; c < copies; c++)
        {
            long delay = Options.LatencyMinNs + (Options.LatencyJitterNs > 0 ? _netRandom.NextLong(0, Options.LatencyJitterNs + 1) : 0);
            if (_linksClogged > 0 && _linkClogNs[from.Index * _nodes.Length + to.Index] is > 0 and long clogNs)
            {
                delay += clogNs; // a clogged link: late, in order
                Stats.DelayedClog++;
            }

            if (typeDelayNs > 0)
            {
                // Held back (a congested queue for this kind of message): later datagrams on the link overtake it.
                Schedule(from, to, datagram, NowNs + delay + typeDelayNs, fifo: false);
            }
            else if (_reorder > 0 && _netRandom.Chance(_reorder))
            {
                // Held back out of FIFO order, so later datagrams on this link overtake it.
                Stats.Reordered++;
                delay += Options.ReorderDelayMaxNs > 0 ? _netRandom.NextLong(1, Options.ReorderDelayMaxNs + 1) : 1;
                Schedule(from, to, datagram, NowNs + delay, fifo: false);
            }
            else
            {
                Schedule(from, to, datagram, NowNs + delay, fifo: true);
            }
        }
    }

    private void Schedule(SimNode from, SimNode to, ReadOnlySpan<byte> datagram, long arrivalNs, bool fifo)
    {
        if (fifo)
        {
            // Without the reorder fault a link delivers in order: jitter never lets a datagram pass an earlier one.
            ref long last = ref _linkFifoNs[from.Index * _nodes.Length + to.Index];
            if (arrivalNs <= last)
            {
                arrivalNs = last + 1;
            }

            last = arrivalNs;
        }

        byte[] buffer = datagram.Length <= 2048 && _bufferPool.TryPop(out byte[]? pooled) ? pooled : new byte[Math.Max(2048, datagram.Length)];
        datagram.CopyTo(buffer);
        Enqueue(arrivalNs, new SimEvent
        {
            Kind = SimEventKind.Arrival, Node = to.Index, Incarnation = to.Incarnation, FromNode = from.Index,
            Buffer = buffer, Length = datagram.Length,
        });
    }

    /// <summary>
    /// A datagram reaches a node's socket buffer. The node's loop reads it with the others waiting there, in a batch
    /// of 1 to 64 (<see cref="SimOptions.ReceiveBatchMin"/>..<see cref="SimOptions.ReceiveBatchMax"/>, drawn per read)
    /// at the same instant, or up to <see cref="SimOptions.ReadDelayMaxNs"/> later, as a busy epoll loop would.
    /// </summary>
    private void Arrive(ref SimEvent ev)
    {
        SimNode to = _nodes[ev.Node];
        byte[] buffer = ev.Buffer!;
        if (to.Engine == null || ev.Incarnation != to.Incarnation)
        {
            Stats.DroppedNodeDown++;
            ReleaseBuffer(buffer);
            return;
        }

        if (ev.FromNode >= 0 && _nodes[ev.FromNode].Group != to.Group)
        {
            Stats.DroppedPartition++; // a partition cuts datagrams already on the wire
            ReleaseBuffer(buffer);
            return;
        }

        if (Options.ReceiveQueueMax > 0 && to.ReceiveQueue.Count >= Options.ReceiveQueueMax)
        {
            Stats.DroppedSocketBuffer++; // the kernel's socket buffer is full (a paused reader)
            ReleaseBuffer(buffer);
            return;
        }

        to.ReceiveQueue.Enqueue((buffer, ev.Length, ev.FromNode));
        ScheduleRead(to);
    }

    private void ScheduleRead(SimNode node)
    {
        if (node.ReadPending)
        {
            return;
        }

        node.ReadPending = true;
        long delay = Options.ReadDelayMaxNs > 0 ? _readRandom.NextLong(0, Options.ReadDelayMaxNs + 1) : 0;
        Enqueue(NowNs + delay, new SimEvent { Kind = SimEventKind.Read, Node = node.Index, Incarnation = node.Incarnation });
    }

    private void Read(ref SimEvent ev)
    {
        SimNode node = _nodes[ev.Node];
        if (node.Engine == null || ev.Incarnation != node.Incarnation)
        {
            return;
        }

        if (node.PausedUntilNs > NowNs)
        {
            // A paused process reads nothing: the datagrams wait in its socket buffer until it runs again.
            Enqueue(node.PausedUntilNs, new SimEvent { Kind = SimEventKind.Read, Node = node.Index, Incarnation = node.Incarnation });
            return;
        }

        node.ReadPending = false;
        int batchMax = Options.ReceiveBatchMin >= Options.ReceiveBatchMax
            ? Options.ReceiveBatchMax
            : (int)_readRandom.NextLong(Options.ReceiveBatchMin, Options.ReceiveBatchMax + 1);
        while (node.Batch.Count < batchMax && node.ReceiveQueue.TryDequeue(out var item))
        {
            node.Batch.Add(item);
        }

        Stats.DatagramsArrived += node.Batch.Count;
        Stats.ReadBatches++;
        Stats.LargestReadBatch = Math.Max(Stats.LargestReadBatch, node.Batch.Count);
        int incarnation = node.Incarnation;
        try
        {
            Step(node);
        }
        finally
        {
            foreach (var item in node.Batch)
            {
                ReleaseBuffer(item.Buffer);
            }

            node.Batch.Clear();
        }

        if (node.Engine != null && node.Incarnation == incarnation && node.ReceiveQueue.Count > 0)
        {
            ScheduleRead(node);
        }
    }

    /// <summary>
    /// Scripted input: <paramref name="datagrams"/> land in node <paramref name="toNodeId"/>'s socket buffer at once, from
    /// no simulated node (a forger on the path), so its loop reads them in one batch when the batch size allows.
    /// </summary>
    public void Inject(uint toNodeId, params byte[][] datagrams)
    {
        SimNode to = Node(toNodeId);
        if (to.Engine == null)
        {
            return;
        }

        foreach (byte[] datagram in datagrams)
        {
            var copy = new byte[Math.Max(2048, datagram.Length)];
            datagram.CopyTo(copy, 0);
            to.ReceiveQueue.Enqueue((copy, datagram.Length, -1));
            Stats.Injected++;
        }

        ScheduleRead(to);
    }

    internal void ReleaseBuffers(Queue<(byte[] Buffer, int Length, int From)> queue)
    {
        while (queue.TryDequeue(out var item))
        {
            ReleaseBuffer(item.Buffer);
        }
    }

    private void ReleaseBuffer(byte[] buffer)
    {
        if (buffer.Length == 2048)
        {
            _bufferPool.Push(buffer);
        }
    }
}
