namespace FastTotem.Sim;

/// <summary>
/// The faults added to the random schedule after the first sweeps: per-node clock drift, process/VM pauses, one-way
/// link cuts and asymmetric partitions, bursts of faults aimed at one message type, and a buggy-but-honest network
/// that delivers genuine old datagrams again. They run on a schedule of their own (<see cref="SimEventKind.ChaosFault"/>,
/// its own random stream), so runs without them replay exactly as before. Every schedule decision also feeds the
/// run's <see cref="ScheduleFingerprint"/>.
/// </summary>
internal sealed partial class Simulator
{
    private const int ReplayLogSize = 512;
    private const int ReplayLogEvery = 3;

    private ReplayEntry[]? _replayLog;
    private readonly SimRandom _replayRandom;
    private int _replayLogCount;
    private int _replayLogNext;
    private long _sentForLog;
    private ulong _fingerprint = 14695981039346656037UL;
    private bool _faultsActive;

    private struct ReplayEntry
    {
        public byte[] Buffer;
        public int Length;
        public int From;
        public int To;
        public long SentNs;
    }

    /// <summary>
    /// A hash of every decision the fault schedule made (what, when, to whom) and nothing the engines did, so it
    /// changes when the generator changes and stays when an engine fix changes what the nodes do about the faults.
    /// </summary>
    public ulong ScheduleFingerprint => _fingerprint;

    /// <summary>True while random faults are in force (from the start until the fault phase ends).</summary>
    public bool FaultsActive => _faultsActive;

    /// <summary>Folds one schedule decision into <see cref="ScheduleFingerprint"/> (FNV-1a over the values' bytes).</summary>
    internal void Fingerprint(char what, long a = 0, long b = 0, long c = 0)
    {
        Mix((ulong)what);
        Mix((ulong)NowNs);
        Mix((ulong)a);
        Mix((ulong)b);
        Mix((ulong)c);

        void Mix(ulong value)
        {
            for (int i = 0; i < 8; i++)
            {
                _fingerprint = (_fingerprint ^ (byte)(value >> (8 * i))) * 1099511628211UL;
            }
        }
    }

    private void InitClocks()
    {
        if (Options.ClockDriftPpmMax <= 0)
        {
            return; // every node reads the simulator's clock
        }

        foreach (SimNode node in _nodes)
        {
            // Each host booted at its own time; its monotonic clock runs at its own rate.
            long bootOffsetNs = _chaosRandom.NextLong(0, 1000 * SimFormat.NsPerSecond);
            int ppm = (int)_chaosRandom.NextLong(-Options.ClockDriftPpmMax, Options.ClockDriftPpmMax + 1);
            node.SetClock(0, ppm, bootOffsetNs);
            Fingerprint('c', node.NodeId, ppm, bootOffsetNs);
        }
    }

    private void ScheduleChaos(long end)
    {
        if (Options.Replays)
        {
            _replayLog = new ReplayEntry[ReplayLogSize];
        }

        bool any = Options.ClockDriftPpmMax > 0 || Options.Pauses || Options.OneWayLinks || Options.TypeFaults || Options.Replays;
        if (!any)
        {
            return;
        }

        long first = _chaosRandom.NextExponential(Options.MeanFaultIntervalNs);
        if (first < end)
        {
            Enqueue(first, new SimEvent { Kind = SimEventKind.ChaosFault });
        }
    }

    private void ChaosStep()
    {
        long end = Options.FaultsEndNs;
        if (!_faultsActive)
        {
            return;
        }

        Span<char> kinds = stackalloc char[5];
        int count = 0;
        if (Options.ClockDriftPpmMax > 0)
        {
            kinds[count++] = 'd';
        }

        if (Options.Pauses)
        {
            kinds[count++] = 'p';
        }

        if (Options.OneWayLinks)
        {
            kinds[count++] = 'o';
        }

        if (Options.TypeFaults)
        {
            kinds[count++] = 't';
        }

        if (Options.Replays)
        {
            kinds[count++] = 'r';
        }

        switch (kinds[_chaosRandom.NextInt(count)])
        {
            case 'd':
                RandomDrift();
                break;
            case 'p':
                RandomPause(end);
                break;
            case 'o':
                RandomLinkCut(end);
                break;
            case 't':
                RandomTypeBurst(end);
                break;
            default:
                RandomReplay();
                break;
        }

        long next = NowNs + _chaosRandom.NextExponential(Options.MeanFaultIntervalNs);
        if (next < end)
        {
            Enqueue(next, new SimEvent { Kind = SimEventKind.ChaosFault });
        }
    }

    /// <summary>NTP changes a node's slew: its clock runs on from where it stands at a new rate.</summary>
    public void SetDrift(uint nodeId, int ppm)
    {
        SimNode node = Node(nodeId);
        node.SetClock(NowNs, ppm, node.LocalTime(NowNs));
        Stats.DriftChanges++;
        Fingerprint('D', nodeId, ppm);
        History.Note(NowNs, $"clock of n{nodeId} now {(ppm >= 0 ? "+" : "")}{ppm} ppm");
    }

    private void RandomDrift()
    {
        uint id = (uint)_chaosRandom.NextInt(_nodes.Length) + 1;
        SetDrift(id, (int)_chaosRandom.NextLong(-Options.ClockDriftPpmMax, Options.ClockDriftPpmMax + 1));
    }

    /// <summary>
    /// Pauses a node's process for <paramref name="durationNs"/>: it reads, fires and sends nothing meanwhile, its socket
    /// buffer fills, and when it runs again its monotonic clock has moved on by the pause (CLOCK_MONOTONIC never stops
    /// for a stopped process, and a resumed VM's guest clock catches up), so all its timers are due at once.
    /// </summary>
    public void Pause(uint nodeId, long durationNs)
    {
        SimNode node = Node(nodeId);
        if (node.Engine == null || node.PausedUntilNs > NowNs)
        {
            return;
        }

        node.PausedUntilNs = NowNs + durationNs;
        Stats.Pauses++;
        Fingerprint('P', nodeId, durationNs);
        History.Note(NowNs, $"pause n{nodeId} for {SimFormat.Time(durationNs)}");
        MarkFault();
        int incarnation = node.Incarnation;
        Enqueue(node.PausedUntilNs, new SimEvent
        {
            Kind = SimEventKind.Action,
            Action = sim =>
            {
                if (node.Incarnation == incarnation && node.Engine != null)
                {
                    sim.History.Note(sim.NowNs, $"n{node.NodeId} runs again");
                }

                sim.MarkFault();
            },
        });
    }

    private void RandomPause(long end)
    {
        uint id = (uint)_chaosRandom.NextInt(_nodes.Length) + 1;
        // Mostly a collector's or scheduler's hiccup; a third are long enough to lose the token (a stopped VM).
        long durationNs = _chaosRandom.Chance(0.67)
            ? _chaosRandom.NextLong(5 * SimFormat.NsPerMs, 300 * SimFormat.NsPerMs)
            : _chaosRandom.NextLong(300 * SimFormat.NsPerMs, Options.PauseMaxNs + 1);
        durationNs = Math.Min(durationNs, end - NowNs - 1);
        if (durationNs > 0)
        {
            Pause(id, durationNs);
        }
    }

    /// <summary>Cuts the link from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/> one way only.</summary>
    public void CutLink(uint fromNodeId, uint toNodeId)
    {
        ref bool cut = ref _linkCut[(fromNodeId - 1) * (uint)_nodes.Length + (toNodeId - 1)];
        if (!cut && fromNodeId != toNodeId)
        {
            cut = true;
            _linksCut++;
            Fingerprint('O', fromNodeId, toNodeId);
        }

        MarkFault();
    }

    /// <summary>
    /// Clogs the link from <paramref name="fromNodeId"/> to <paramref name="toNodeId"/> one way: every datagram on it
    /// arrives <paramref name="delayNs"/> late, in order (a congested path), until <see cref="HealLinks"/>.
    /// </summary>
    public void ClogLink(uint fromNodeId, uint toNodeId, long delayNs)
    {
        ref long clog = ref _linkClogNs[(fromNodeId - 1) * (uint)_nodes.Length + (toNodeId - 1)];
        if (clog == 0 && delayNs > 0 && fromNodeId != toNodeId)
        {
            clog = delayNs;
            _linksClogged++;
            Fingerprint('K', fromNodeId, toNodeId, delayNs);
        }

        MarkFault();
    }

    /// <summary>Restores every one-way cut or clogged link.</summary>
    public void HealLinks()
    {
        if (_linksCut > 0 || _linksClogged > 0)
        {
            Array.Clear(_linkCut);
            Array.Clear(_linkClogNs);
            _linksCut = 0;
            _linksClogged = 0;
            Fingerprint('H');
            History.Note(NowNs, "one-way links healed");
        }

        MarkFault();
    }

    private void RandomLinkCut(long end)
    {
        if (_nodes.Length < 2)
        {
            return;
        }

        Stats.LinkCuts++;
        if (_chaosRandom.Chance(0.3))
        {
            // Clogged, not cut: a few directed links deliver everything, in order, 20 ms to 1 s late.
            int links = 1 + _chaosRandom.NextInt(_nodes.Length);
            var clogs = new List<string>();
            for (int i = 0; i < links; i++)
            {
                uint from = (uint)_chaosRandom.NextInt(_nodes.Length) + 1;
                uint to = (uint)_chaosRandom.NextInt(_nodes.Length) + 1;
                long delayNs = _chaosRandom.NextLong(20 * SimFormat.NsPerMs, SimFormat.NsPerSecond);
                if (from != to)
                {
                    ClogLink(from, to, delayNs);
                    clogs.Add($"n{from}->n{to} +{delayNs / SimFormat.NsPerMs} ms");
                }
            }

            History.Note(NowNs, $"links clogged: {string.Join(' ', clogs)}");
        }
        else if (_chaosRandom.Chance(0.5))
        {
            // An asymmetric partition: one side hears the other, the other side hears nothing from it.
            int offset = _chaosRandom.NextInt(_nodes.Length);
            int sideA = 1 + _chaosRandom.NextInt(_nodes.Length - 1);
            var a = new List<uint>();
            var b = new List<uint>();
            for (int k = 0; k < _nodes.Length; k++)
            {
                (k < sideA ? a : b).Add(_nodes[(offset + k) % _nodes.Length].NodeId);
            }

            a.Sort();
            b.Sort();
            foreach (uint from in a)
            {
                foreach (uint to in b)
                {
                    CutLink(from, to);
                }
            }

            History.Note(NowNs, $"asymmetric partition: [{string.Join(',', a)}] no longer reach [{string.Join(',', b)}], the other way still works");
        }
        else
        {
            int links = 1 + _chaosRandom.NextInt(_nodes.Length);
            var cuts = new List<string>();
            for (int i = 0; i < links; i++)
            {
                uint from = (uint)_chaosRandom.NextInt(_nodes.Length) + 1;
                uint to = (uint)_chaosRandom.NextInt(_nodes.Length) + 1;
                if (from != to)
                {
                    CutLink(from, to);
                    cuts.Add($"n{from}->n{to}");
                }
            }

            History.Note(NowNs, $"one-way links cut: {string.Join(' ', cuts)}");
        }

        long healNs = NowNs + _chaosRandom.NextLong(200 * SimFormat.NsPerMs, 4 * SimFormat.NsPerSecond);
        if (healNs < end)
        {
            Enqueue(healNs, new SimEvent { Kind = SimEventKind.Action, Action = static sim => sim.HealLinks() });
        }
    }

    /// <summary>
    /// For a while, datagrams of one Totem message type are dropped, duplicated or held back with probability
    /// <paramref name="probability"/> (a held-back one waits up to <paramref name="delayMaxNs"/> more and is overtaken).
    /// </summary>
    public void TypeBurst(int type, char kind, double probability, long delayMaxNs, long durationNs)
    {
        if (type < 0 || type >= TypeCount || probability <= 0)
        {
            return;
        }

        double[] rates = kind switch { 'l' => _typeLoss, 'd' => _typeDuplicate, _ => _typeDelay };
        rates[type] = probability;
        _typeDelayMaxNs[type] = Math.Max(_typeDelayMaxNs[type], delayMaxNs);
        _typeFaultsActive++;
        Stats.TypeBursts++;
        Fingerprint('T', type * 256 + kind, BitConverter.DoubleToInt64Bits(probability), delayMaxNs ^ (durationNs << 20));
        string what = kind switch { 'l' => "dropped", 'd' => "duplicated", _ => $"held back up to {SimFormat.Time(delayMaxNs)}" };
        History.Note(NowNs, $"{TypeName(type)} datagrams {what} with probability {probability:0.00} for {SimFormat.Time(durationNs)}");
        MarkFault();
        Enqueue(NowNs + durationNs, new SimEvent
        {
            Kind = SimEventKind.Action,
            Action = sim =>
            {
                if (sim._typeFaultsActive > 0)
                {
                    rates[type] = 0;
                    sim._typeFaultsActive--;
                    sim.MarkFault();
                }
            },
        });
    }

    private static string TypeName(int type) => type switch
    {
        0 => "token",
        1 => "mcast",
        2 => "merge-detect",
        3 => "join",
        4 => "commit-token",
        _ => "token-hold-cancel",
    };

    private void RandomTypeBurst(long end)
    {
        // Weighted towards what moves membership: the token and join/commit messages.
        ReadOnlySpan<int> types = [0, 0, 1, 2, 3, 3, 4, 4, 5];
        int type = types[_chaosRandom.NextInt(types.Length)];
        char kind = "ldh"[_chaosRandom.NextInt(3)];
        double probability = kind == 'l' ? 0.2 + 0.7 * _chaosRandom.NextDouble() : 0.2 + 0.6 * _chaosRandom.NextDouble();
        long delayMaxNs = _chaosRandom.NextLong(SimFormat.NsPerMs, Math.Max(2 * SimFormat.NsPerMs, Options.EffectiveTokenMs * SimFormat.NsPerMs / 2));
        long durationNs = Math.Min(_chaosRandom.NextLong(100 * SimFormat.NsPerMs, 3 * SimFormat.NsPerSecond), end - NowNs);
        if (durationNs > 0)
        {
            TypeBurst(type, kind, probability, delayMaxNs, durationNs);
        }
    }

    /// <summary>Keeps a copy of every few datagrams sent, for the replaying network.</summary>
    private void LogForReplay(SimNode from, SimNode to, ReadOnlySpan<byte> datagram)
    {
        if (++_sentForLog % ReplayLogEvery != 0 || datagram.Length > 2048)
        {
            return;
        }

        ref ReplayEntry entry = ref _replayLog![_replayLogNext];
        entry.Buffer ??= new byte[2048];
        datagram.CopyTo(entry.Buffer);
        entry.Length = datagram.Length;
        entry.From = from.Index;
        entry.To = to.Index;
        entry.SentNs = NowNs;
        _replayLogNext = (_replayLogNext + 1) % ReplayLogSize;
        _replayLogCount = Math.Min(_replayLogCount + 1, ReplayLogSize);
    }

    /// <summary>
    /// The network delivers <paramref name="count"/> genuine datagrams sent earlier once more (a buggy switch, a
    /// retransmitting middlebox): stale tokens, old rings' joins and commit tokens, messages of a previous ring,
    /// each from its real sender to its real receiver, however long ago.
    /// </summary>
    public void Replay(int count)
    {
        Fingerprint('R', count);
        if (_replayLog == null || _replayLogCount == 0)
        {
            return;
        }

        int replayed = 0;
        int tokens = 0;
        long oldestNs = long.MaxValue;
        for (int i = 0; i < count; i++)
        {
            // Half the picks favour the oldest half of the log, where previous rings' traffic lies.
            // The picks draw from their own stream: how much traffic there is to pick from depends on the engines,
            // and the schedule's stream must not.
            int back = _replayRandom.Chance(0.5)
                ? _replayLogCount / 2 + _replayRandom.NextInt(Math.Max(1, _replayLogCount - _replayLogCount / 2))
                : _replayRandom.NextInt(_replayLogCount);
            back = Math.Min(back, _replayLogCount - 1);
            ref ReplayEntry entry = ref _replayLog[(_replayLogNext - 1 - back + 2 * ReplayLogSize) % ReplayLogSize];
            SimNode from = _nodes[entry.From];
            SimNode to = _nodes[entry.To];
            if (!to.Up || from.Group != to.Group || _linkCut[from.Index * _nodes.Length + to.Index])
            {
                continue;
            }

            long delay = Options.LatencyMinNs + _replayRandom.NextLong(0, Options.ReorderDelayMaxNs + 1);
            Schedule(from, to, entry.Buffer.AsSpan(0, entry.Length), NowNs + delay, fifo: false);
            replayed++;
            tokens += entry.Length > 3 && entry.Buffer[3] == 0 ? 1 : 0;
            oldestNs = Math.Min(oldestNs, entry.SentNs);
        }

        if (replayed > 0)
        {
            Stats.Replayed += replayed;
            History.Note(NowNs, $"replay of {replayed} old datagrams ({tokens} tokens), the oldest sent at {SimFormat.Time(oldestNs)}");
            MarkFault();
        }
    }

    private void RandomReplay() => Replay(1 + _chaosRandom.NextInt(12));

    /// <summary>The chaos faults end with the fault phase: links restored, per-type bursts over, no node paused.</summary>
    private void EndChaos()
    {
        _faultsActive = false;
        HealLinks();
        Array.Clear(_typeLoss);
        Array.Clear(_typeDuplicate);
        Array.Clear(_typeDelay);
        _typeFaultsActive = 0;
    }

    /// <summary>Decides the fault points for the simulator's node steps: each point fires at its own rate during the fault phase.</summary>
    private sealed class SimFaultInjector : Diagnostics.IFaultInjector
    {
        private readonly Simulator _sim;
        private readonly SimRandom _random;
        private readonly double[] _rates = new double[5];

        public SimFaultInjector(Simulator sim, ulong seed)
        {
            _sim = sim;
            _random = new SimRandom(seed);
            // Each run arms a random subset of the points, each at its own rate (rare to frequent).
            for (int i = 0; i < _rates.Length; i++)
            {
                double[] choices = [0, 0.01, 0.05, 0.2];
                _rates[i] = choices[_random.NextInt(choices.Length)];
                sim.Fingerprint('B', i, BitConverter.DoubleToInt64Bits(_rates[i]));
            }
        }

        public bool Fire(Diagnostics.FaultPoint point)
        {
            int i = (int)point;
            if (!_sim._faultsActive || i >= _rates.Length || _rates[i] <= 0 || !_random.Chance(_rates[i]))
            {
                return false;
            }

            _sim.Stats.FaultPointHits++;
            return true;
        }
    }
}
