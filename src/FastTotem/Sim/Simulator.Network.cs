namespace FastTotem.Sim;

public sealed partial class Simulator
{
    private readonly Stack<byte[]> _bufferPool = new();
    private readonly long[] _linkFifoNs;
    private double _loss, _duplicate, _reorder;
    private SimDatagramFilter? _filter;

    /// <summary>Per-datagram loss probability in force now (the random schedule sets it for the fault phase).</summary>
    public double Loss
    {
        get => _loss;
        set { _loss = value; MarkFault(); }
    }

    public double Duplicate
    {
        get => _duplicate;
        set { _duplicate = value; MarkFault(); }
    }

    public double Reorder
    {
        get => _reorder;
        set { _reorder = value; MarkFault(); }
    }

    /// <summary>A scripted drop rule, consulted for every datagram between two connected live nodes.</summary>
    public SimDatagramFilter? Filter
    {
        get => _filter;
        set { _filter = value; MarkFault(); }
    }

    /// <summary>
    /// Routes one datagram from PollTransmit. Destination 0 is the "mcast" path: every other configured node (the
    /// engine handles its own copy internally). A nodeid is a unicast, to itself included (a singleton ring's token).
    /// </summary>
    private void Send(SimNode from, uint destination, ReadOnlySpan<byte> datagram)
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

        int copies = _duplicate > 0 && _netRandom.Chance(_duplicate) ? 2 : 1;
        if (copies == 2)
        {
            Stats.Duplicated++;
        }

        for (int c = 0; c < copies; c++)
        {
            long delay = Options.LatencyMinNs + (Options.LatencyJitterNs > 0 ? _netRandom.NextLong(0, Options.LatencyJitterNs + 1) : 0);
            if (_reorder > 0 && _netRandom.Chance(_reorder))
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

    private void Arrive(ref SimEvent ev)
    {
        SimNode to = _nodes[ev.Node];
        byte[] buffer = ev.Buffer!;
        if (to.Engine == null || ev.Incarnation != to.Incarnation)
        {
            Stats.DroppedNodeDown++;
        }
        else if (_nodes[ev.FromNode].Group != to.Group)
        {
            Stats.DroppedPartition++; // a partition cuts datagrams already on the wire
        }
        else
        {
            Stats.DatagramsArrived++;
            to.Engine.HandleDatagram(buffer.AsSpan(0, ev.Length), _nodes[ev.FromNode].NodeId, NowNs);
            Service(to);
        }

        if (buffer.Length == 2048)
        {
            _bufferPool.Push(buffer);
        }
    }
}
