namespace FastTotem.Sim;

internal sealed partial class Simulator
{
    private long _lastFaultNs;
    private int _downCount;
    private bool _partitioned;

    /// <summary>Virtual time of the last fault action or injected drop; the liveness bound counts from here.</summary>
    public long LastFaultNs => _lastFaultNs;

    private void MarkFault() => _lastFaultNs = Math.Max(_lastFaultNs, NowNs);

    /// <summary>Crashes a node: its engine is discarded (no leave), datagrams on the wire to it are lost.</summary>
    public void Crash(uint nodeId)
    {
        SimNode node = Node(nodeId);
        if (node.Engine == null)
        {
            return;
        }

        node.Engine = null;
        Fingerprint('C', nodeId);
        History.Crash(NowNs, node.Process);
        node.Process = -1;
        _downCount++;
        Stats.Crashes++;
        MarkFault();
    }

    /// <summary>Restarts a crashed node with a fresh engine; only its persisted ring seq survives.</summary>
    public void Restart(uint nodeId)
    {
        SimNode node = Node(nodeId);
        if (node.Engine != null)
        {
            return;
        }

        _downCount--;
        Fingerprint('S', nodeId);
        Stats.Restarts++;
        MarkFault();
        StartNode(node);
    }

    /// <summary>Splits the network: nodes talk only within their group. Nodes not listed form one more group.</summary>
    public void Partition(params uint[][] groups)
    {
        foreach (SimNode node in _nodes)
        {
            node.Group = groups.Length;
        }

        for (int g = 0; g < groups.Length; g++)
        {
            foreach (uint id in groups[g])
            {
                Node(id).Group = g;
            }
        }

        _partitioned = true;
        foreach (SimNode node in _nodes)
        {
            Fingerprint('G', node.NodeId, node.Group);
        }

        Stats.Partitions++;
        History.Note(NowNs, "partition " + string.Join(" | ", Array.ConvertAll(groups, g => string.Join(',', g))));
        MarkFault();
    }

    /// <summary>Reconnects every node.</summary>
    public void Heal()
    {
        foreach (SimNode node in _nodes)
        {
            node.Group = 0;
        }

        if (_partitioned)
        {
            Fingerprint('h');
            Stats.Heals++;
            History.Note(NowNs, "heal");
        }

        _partitioned = false;
        MarkFault();
    }

    private void ScheduleRandomFaults()
    {
        long end = Options.FaultsEndNs;
        if (end <= 0)
        {
            return;
        }

        _loss = Options.Loss;
        _duplicate = Options.Duplicate;
        _reorder = Options.Reorder;
        _faultsActive = true;
        ScheduleChaos(end);
        History.Note(0, $"fault phase until {SimFormat.Time(end)}: loss {Options.Loss}, dup {Options.Duplicate}, reorder {Options.Reorder}, partitions {Options.Partitions}, crashes {Options.Crashes}" +
            (Options.HasNewFaults ? $", clock drift {Options.ClockDriftPpmMax} ppm, pauses {Options.Pauses}, one-way links {Options.OneWayLinks}, type faults {Options.TypeFaults}, replays {Options.Replays}, fault points {Options.Buggify}" : ""));
        if (Options.Partitions || Options.Crashes)
        {
            long first = _faultRandom.NextExponential(Options.MeanFaultIntervalNs);
            if (first < end)
            {
                Enqueue(first, new SimEvent { Kind = SimEventKind.RandomFault });
            }
        }

        Enqueue(end, new SimEvent { Kind = SimEventKind.Action, Action = static sim => sim.EndFaults() });
    }

    /// <summary>Ends the fault phase: heal, restart every crashed node, a clean network from now on.</summary>
    public void EndFaults()
    {
        _loss = 0;
        _duplicate = 0;
        _reorder = 0;
        _filter = null;
        Fingerprint('E');
        EndChaos();
        Heal();
        foreach (SimNode node in _nodes)
        {
            if (!node.Up)
            {
                Restart(node.NodeId);
            }
        }

        History.Note(NowNs, "faults end");
        MarkFault();
    }

    private void RandomFaultStep()
    {
        long end = Options.FaultsEndNs;
        bool doCrash = Options.Crashes && (!Options.Partitions || _faultRandom.Chance(0.5));
        if (doCrash)
        {
            RandomCrash(end);
        }
        else
        {
            RandomPartition(end);
        }

        long next = NowNs + _faultRandom.NextExponential(Options.MeanFaultIntervalNs);
        if (next < end)
        {
            Enqueue(next, new SimEvent { Kind = SimEventKind.RandomFault });
        }
    }

    private void RandomCrash(long end)
    {
        if (_downCount >= _nodes.Length - 1)
        {
            return; // keep one node up so something is always running
        }

        int start = _faultRandom.NextInt(_nodes.Length);
        for (int k = 0; k < _nodes.Length; k++)
        {
            SimNode node = _nodes[(start + k) % _nodes.Length];
            if (!node.Up)
            {
                continue;
            }

            History.Note(NowNs, $"crash n{node.NodeId}");
            Crash(node.NodeId);
            // A third of the restarts are quick (the node is back before anyone notices the token loss).
            long downNs = _faultRandom.Chance(0.33)
                ? _faultRandom.NextLong(SimFormat.NsPerMs, 50 * SimFormat.NsPerMs)
                : _faultRandom.NextLong(200 * SimFormat.NsPerMs, 4 * SimFormat.NsPerSecond);
            uint id = node.NodeId;
            if (NowNs + downNs < end)
            {
                Enqueue(NowNs + downNs, new SimEvent
                {
                    Kind = SimEventKind.Action,
                    Action = sim =>
                    {
                        sim.History.Note(sim.NowNs, $"restart n{id}");
                        sim.Restart(id);
                    },
                });
            }

            return;
        }
    }

    private void RandomPartition(long end)
    {
        if (_partitioned && _faultRandom.Chance(0.5))
        {
            Heal();
            return;
        }

        if (_nodes.Length < 2)
        {
            return;
        }

        int groupCount = _nodes.Length > 3 && _faultRandom.Chance(0.25) ? 3 : 2;
        var lists = new List<uint>[groupCount];
        for (int g = 0; g < groupCount; g++)
        {
            lists[g] = [];
        }

        // Every group gets at least one node; the rest land at random.
        int offset = _faultRandom.NextInt(_nodes.Length);
        for (int k = 0; k < _nodes.Length; k++)
        {
            uint id = _nodes[(offset + k) % _nodes.Length].NodeId;
            lists[k < groupCount ? k : _faultRandom.NextInt(groupCount)].Add(id);
        }

        var groups = new uint[groupCount][];
        for (int g = 0; g < groupCount; g++)
        {
            lists[g].Sort();
            groups[g] = [.. lists[g]];
        }

        Partition(groups);
        long healNs = NowNs + _faultRandom.NextLong(300 * SimFormat.NsPerMs, 4 * SimFormat.NsPerSecond);
        if (healNs < end)
        {
            Enqueue(healNs, new SimEvent { Kind = SimEventKind.Action, Action = static sim => sim.Heal() });
        }
    }
}
