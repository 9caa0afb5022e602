using FastTotem.Wire;

namespace FastTotem.Sim;

/// <summary>
/// Verifies the Totem guarantees over a recorded history (see <see cref="Guarantee"/>). It looks only at what the
/// processes reported (deliveries, configuration changes) and what the application multicast, never at engine
/// internals, so it checks the engine the way an application would see it.
/// </summary>
internal static partial class TotemChecker
{
    /// <summary>How many events a violation's trace keeps.</summary>
    public const int TraceLength = 20;

    public static CheckReport Check(SimHistory history)
    {
        var report = new CheckReport();
        var view = new HistoryView(history);
        CheckIntegrity(view, report);
        CheckAgreedOrder(view, report);
        CheckVirtualSynchrony(view, report);
        CheckSelfDelivery(view, report);
        CheckConfigAgreement(view, report);
        CheckLiveness(view, report);
        CheckSenderMembership(view, report);
        return report;
    }

    /// <summary>Per-process indexes over the history, built once for all checks.</summary>
    private sealed class HistoryView
    {
        public readonly SimHistory History;
        public readonly List<SimRecord>[] Deliveries;
        public readonly Dictionary<MessageId, int>[] Position;
        public readonly List<SimRecord>[] Configs;
        public readonly Dictionary<MessageId, SimRecord> Multicasts = [];

        public HistoryView(SimHistory history)
        {
            History = history;
            int n = history.Processes.Count;
            Deliveries = new List<SimRecord>[n];
            Position = new Dictionary<MessageId, int>[n];
            Configs = new List<SimRecord>[n];
            for (int i = 0; i < n; i++)
            {
                Deliveries[i] = [];
                Position[i] = [];
                Configs[i] = [];
            }

            foreach (SimRecord r in history.Records)
            {
                switch (r.Kind)
                {
                    case SimRecordKind.Deliver:
                        Position[r.Process].TryAdd(r.Message, Deliveries[r.Process].Count);
                        Deliveries[r.Process].Add(r);
                        break;
                    case SimRecordKind.ConfigChange:
                        Configs[r.Process].Add(r);
                        break;
                    case SimRecordKind.Multicast:
                        Multicasts.TryAdd(r.Message, r);
                        break;
                }
            }
        }

        public uint NodeOf(int process) => History.Processes[process].NodeId;
    }

    /// <summary>
    /// The last <see cref="TraceLength"/> events up to <paramref name="upToIndex"/> that involve the given processes'
    /// lifecycle and configuration changes, the given messages, or fault notes.
    /// </summary>
    private static List<SimRecord> Trace(HistoryView view, int upToIndex, ReadOnlySpan<int> processes, ReadOnlySpan<MessageId> messages)
    {
        // Fault notes may fill at most half the trace, so a busy fault schedule cannot hide the processes' own events.
        const int NotesMax = TraceLength / 2;
        var trace = new List<SimRecord>(TraceLength);
        int notes = 0;
        IReadOnlyList<SimRecord> records = view.History.Records;
        for (int i = Math.Min(upToIndex, records.Count - 1); i >= 0 && trace.Count < TraceLength; i--)
        {
            SimRecord r = records[i];
            bool relevant = r.Kind switch
            {
                SimRecordKind.Note => notes < NotesMax,
                SimRecordKind.Deliver or SimRecordKind.Multicast => messages.Contains(r.Message),
                _ => processes.Contains(r.Process),
            };
            if (relevant)
            {
                notes += r.Kind == SimRecordKind.Note ? 1 : 0;
                trace.Add(r);
            }
        }

        trace.Reverse();
        return trace;
    }

    private static void CheckIntegrity(HistoryView view, CheckReport report)
    {
        var seen = new HashSet<MessageId>[view.History.Processes.Count];
        for (int i = 0; i < seen.Length; i++)
        {
            seen[i] = [];
        }

        foreach (SimRecord r in view.History.Records)
        {
            if (r.Kind != SimRecordKind.Deliver)
            {
                continue;
            }

            string? problem = null;
            if (!r.Message.IsValid)
            {
                problem = $"n{r.NodeId} delivered a payload from n{r.SenderNodeId} that is no message the application sent";
            }
            else if (!view.Multicasts.TryGetValue(r.Message, out SimRecord? mc) || mc.TimeNs > r.TimeNs)
            {
                problem = $"n{r.NodeId} delivered {r.Message}, which was never multicast (before then)";
            }
            else if (r.SenderNodeId != r.Message.Node)
            {
                problem = $"n{r.NodeId} delivered {r.Message} with sender nodeid {r.SenderNodeId}";
            }
            else if (!seen[r.Process].Add(r.Message))
            {
                problem = $"n{r.NodeId} (process {r.Process}) delivered {r.Message} twice";
            }

            if (problem != null &&
                !report.Add(new Violation
                {
                    Guarantee = Guarantee.Integrity,
                    Description = problem,
                    Nodes = [r.NodeId],
                    Messages = [r.Message],
                    Trace = Trace(view, r.Index, [r.Process], [r.Message]),
                }))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Agreed order means every process's deliveries fit one global total order. The graph of "delivered right
    /// after" edges over all processes must then be acyclic, which is checked in linear time; only when it is not
    /// are the pairs searched for a readable report (and a cycle with no pairwise inversion is reported as such).
    /// </summary>
    private static void CheckAgreedOrder(HistoryView view, CheckReport report)
    {
        List<MessageId>? cycle = FindOrderCycle(view);
        if (cycle == null)
        {
            return;
        }

        int before = report.Count(Guarantee.AgreedOrder);
        CheckAgreedOrderPairs(view, report);
        if (report.Count(Guarantee.AgreedOrder) == before)
        {
            MessageId[] involved = [.. cycle.Take(8)];
            report.Add(new Violation
            {
                Guarantee = Guarantee.AgreedOrder,
                Description = $"the processes' delivery orders fit no single total order (a cycle through {string.Join(", ", involved)})",
                Messages = involved,
                Trace = Trace(view, view.History.Records.Count - 1, [], involved),
            });
        }
    }

    /// <summary>Kahn's algorithm over the per-process successor edges; null when acyclic, else messages left on a cycle.</summary>
    private static List<MessageId>? FindOrderCycle(HistoryView view)
    {
        var index = new Dictionary<MessageId, int>();
        var successors = new List<List<int>>();
        var inDegree = new List<int>();
        int Node(MessageId m)
        {
            if (!index.TryGetValue(m, out int i))
            {
                i = index.Count;
                index[m] = i;
                successors.Add([]);
                inDegree.Add(0);
            }

            return i;
        }

        for (int p = 0; p < view.Deliveries.Length; p++)
        {
            int previous = -1;
            List<SimRecord> deliveries = view.Deliveries[p];
            for (int i = 0; i < deliveries.Count; i++)
            {
                if (view.Position[p][deliveries[i].Message] != i)
                {
                    continue; // duplicates are Integrity's business
                }

                int current = Node(deliveries[i].Message);
                if (previous >= 0)
                {
                    successors[previous].Add(current);
                    inDegree[current]++;
                }

                previous = current;
            }
        }

        var ready = new Queue<int>();
        for (int i = 0; i < inDegree.Count; i++)
        {
            if (inDegree[i] == 0)
            {
                ready.Enqueue(i);
            }
        }

        int sorted = 0;
        while (ready.TryDequeue(out int i))
        {
            sorted++;
            foreach (int next in successors[i])
            {
                if (--inDegree[next] == 0)
                {
                    ready.Enqueue(next);
                }
            }
        }

        if (sorted == index.Count)
        {
            return null;
        }

        var left = new List<MessageId>();
        foreach (var (m, i) in index)
        {
            if (inDegree[i] > 0)
            {
                left.Add(m);
            }
        }

        return left;
    }

    private static void CheckAgreedOrderPairs(HistoryView view, CheckReport report)
    {
        int n = view.History.Processes.Count;
        for (int p = 0; p < n; p++)
        {
            for (int q = p + 1; q < n; q++)
            {
                if (view.Deliveries[p].Count == 0 || view.Deliveries[q].Count == 0)
                {
                    continue;
                }

                Dictionary<MessageId, int> posQ = view.Position[q];
                List<SimRecord> delP = view.Deliveries[p];
                int lastPos = -1;
                SimRecord? last = null;
                for (int i = 0; i < delP.Count; i++)
                {
                    SimRecord r = delP[i];
                    if (view.Position[p][r.Message] != i || !posQ.TryGetValue(r.Message, out int pos))
                    {
                        continue; // a duplicate (reported by Integrity) or a message q never delivered
                    }

                    if (pos < lastPos && last != null)
                    {
                        SimRecord qEarly = view.Deliveries[q][pos];
                        SimRecord qLate = view.Deliveries[q][lastPos];
                        int upTo = Math.Max(Math.Max(r.Index, qLate.Index), Math.Max(last.Index, qEarly.Index));
                        bool more = report.Add(new Violation
                        {
                            Guarantee = Guarantee.AgreedOrder,
                            Description =
                                $"n{view.NodeOf(p)} delivered {last.Message} before {r.Message}, n{view.NodeOf(q)} delivered them in the opposite order",
                            Nodes = [view.NodeOf(p), view.NodeOf(q)],
                            Messages = [last.Message, r.Message],
                            Trace = Trace(view, upTo, [p, q], [last.Message, r.Message]),
                        });
                        if (!more)
                        {
                            return;
                        }

                        break; // one report per pair
                    }

                    lastPos = pos;
                    last = r;
                }
            }
        }
    }

    private static void CheckVirtualSynchrony(HistoryView view, CheckReport report)
    {
        // (old ring, next ring) -> the set the first process that made this move delivered in the old ring.
        var firstMover = new Dictionary<(MembRingId Old, MembRingId New), (int Process, HashSet<MessageId> Set, SimRecord At)>();
        IReadOnlyList<SimRecord> records = view.History.Records;
        var current = new SimRecord?[view.History.Processes.Count];
        var sets = new HashSet<MessageId>[view.History.Processes.Count];
        for (int i = 0; i < sets.Length; i++)
        {
            sets[i] = [];
        }

        foreach (SimRecord r in records)
        {
            if (r.Kind == SimRecordKind.Deliver)
            {
                sets[r.Process].Add(r.Message);
                continue;
            }

            if (r.Kind != SimRecordKind.ConfigChange || r.ConfigKind != SimConfigKind.Regular)
            {
                continue;
            }

            // Messages delivered between two regular configurations, the transitional part included, belong to the old one.
            int p = r.Process;
            SimRecord? old = current[p];
            HashSet<MessageId> set = sets[p];
            current[p] = r;
            sets[p] = [];
            if (old == null)
            {
                continue;
            }

            var key = (old.RingId, r.RingId);
            if (!firstMover.TryGetValue(key, out var first))
            {
                firstMover[key] = (p, set, r);
                continue;
            }

            if (first.Set.SetEquals(set))
            {
                continue;
            }

            var onlyFirst = new List<MessageId>();
            var onlyThis = new List<MessageId>();
            foreach (MessageId m in first.Set)
            {
                if (!set.Contains(m) && onlyFirst.Count < 8)
                {
                    onlyFirst.Add(m);
                }
            }

            foreach (MessageId m in set)
            {
                if (!first.Set.Contains(m) && onlyThis.Count < 8)
                {
                    onlyThis.Add(m);
                }
            }

            MessageId[] involved = [.. onlyFirst, .. onlyThis];
            uint a = view.NodeOf(first.Process), b = view.NodeOf(p);
            if (!report.Add(new Violation
                {
                    Guarantee = Guarantee.VirtualSynchrony,
                    Description =
                        $"n{a} and n{b} both moved from ring {old.RingId} to ring {r.RingId} but delivered different sets in {old.RingId}: " +
                        $"only n{a}: [{string.Join(", ", onlyFirst)}], only n{b}: [{string.Join(", ", onlyThis)}]",
                    Nodes = [a, b],
                    Messages = involved,
                    Rings = [old.RingId, r.RingId],
                    Trace = Trace(view, r.Index, [first.Process, p], involved),
                }))
            {
                return;
            }
        }
    }

    private static void CheckSelfDelivery(HistoryView view, CheckReport report)
    {
        if (view.History.StallReason != null)
        {
            report.MarkNotChecked(Guarantee.SelfDelivery, "the run stalled");
            return;
        }

        foreach (SimRecord mc in view.Multicasts.Values)
        {
            SimProcess p = view.History.Processes[mc.Process];
            if (p.Crashed || mc.TimeNs >= view.History.AppStopNs || view.Position[mc.Process].ContainsKey(mc.Message))
            {
                continue;
            }

            if (!report.Add(new Violation
                {
                    Guarantee = Guarantee.SelfDelivery,
                    Description = $"n{p.NodeId} multicast {mc.Message} at {SimFormat.Time(mc.TimeNs)}, did not crash, and never delivered it",
                    Nodes = [p.NodeId],
                    Messages = [mc.Message],
                    Trace = Trace(view, view.History.Records.Count - 1, [mc.Process], [mc.Message]),
                }))
            {
                return;
            }
        }
    }

    private static void CheckSenderMembership(HistoryView view, CheckReport report)
    {
        var current = new SimRecord?[view.History.Processes.Count];
        foreach (SimRecord r in view.History.Records)
        {
            if (r.Kind == SimRecordKind.ConfigChange && r.ConfigKind == SimConfigKind.Regular)
            {
                current[r.Process] = r;
                continue;
            }

            if (r.Kind != SimRecordKind.Deliver)
            {
                continue;
            }

            SimRecord? config = current[r.Process];
            string? problem = null;
            if (config == null)
            {
                problem = $"n{r.NodeId} delivered {r.Message} from n{r.SenderNodeId} before it installed any configuration";
            }
            else if (Array.IndexOf(config.Members, r.SenderNodeId) < 0)
            {
                problem = $"n{r.NodeId} delivered {r.Message} from n{r.SenderNodeId} in ring {config.RingId}, whose members [{string.Join(',', Sorted(config.Members))}] do not include the sender";
            }

            if (problem != null &&
                !report.Add(new Violation
                {
                    Guarantee = Guarantee.SenderMembership,
                    Description = problem,
                    Nodes = [r.NodeId, r.SenderNodeId],
                    Messages = [r.Message],
                    Rings = config != null ? [config.RingId] : [],
                    Trace = Trace(view, r.Index, [r.Process], [r.Message]),
                }))
            {
                return;
            }
        }
    }

    private static uint[] Sorted(uint[] members)
    {
        uint[] copy = (uint[])members.Clone();
        Array.Sort(copy);
        return copy;
    }

    private static void CheckConfigAgreement(HistoryView view, CheckReport report)
    {
        var firstByRing = new Dictionary<MembRingId, (SimRecord Record, uint[] Members)>();
        var lastSeqByNode = new Dictionary<uint, SimRecord>();
        foreach (SimRecord r in view.History.Records)
        {
            if (r.Kind != SimRecordKind.ConfigChange || r.ConfigKind != SimConfigKind.Regular)
            {
                continue;
            }

            uint[] members = Sorted(r.Members);
            string? problem = null;
            SimRecord? other = null;
            if (Array.IndexOf(members, r.NodeId) < 0)
            {
                problem = $"n{r.NodeId} installed ring {r.RingId} whose member list [{string.Join(',', members)}] does not contain itself";
            }
            else if (firstByRing.TryGetValue(r.RingId, out var first))
            {
                if (!first.Members.AsSpan().SequenceEqual(members))
                {
                    other = first.Record;
                    problem = $"ring {r.RingId}: n{first.Record.NodeId} reported members [{string.Join(',', first.Members)}], n{r.NodeId} reported [{string.Join(',', members)}]";
                }
            }
            else
            {
                firstByRing[r.RingId] = (r, members);
            }

            if (problem == null && lastSeqByNode.TryGetValue(r.NodeId, out SimRecord? prev) && r.RingId.Seq <= prev.RingId.Seq)
            {
                other = prev;
                problem = $"n{r.NodeId} installed ring {r.RingId} after ring {prev.RingId}: the ring seq did not grow";
            }

            lastSeqByNode[r.NodeId] = r;
            if (problem == null)
            {
                continue;
            }

            int[] procs = other != null ? [r.Process, other.Process] : [r.Process];
            if (!report.Add(new Violation
                {
                    Guarantee = Guarantee.ConfigAgreement,
                    Description = problem,
                    Nodes = other != null ? [r.NodeId, other.NodeId] : [r.NodeId],
                    Rings = other != null ? [r.RingId, other.RingId] : [r.RingId],
                    Trace = Trace(view, r.Index, procs, []),
                }))
            {
                return;
            }
        }
    }

    private static void CheckLiveness(HistoryView view, CheckReport report)
    {
        SimHistory h = view.History;
        if (h.StallReason != null)
        {
            var all = new int[h.Processes.Count];
            for (int i = 0; i < all.Length; i++)
            {
                all[i] = i;
            }

            report.Add(new Violation
            {
                Guarantee = Guarantee.Liveness,
                Description = h.StallReason,
                Trace = Trace(view, h.Records.Count - 1, all, []),
            });
            return;
        }

        if (h.LivenessBoundNs <= 0)
        {
            report.MarkNotChecked(Guarantee.Liveness, "no fault-free phase long enough for the bound");
            return;
        }

        long deadline = h.FaultsHealedNs + h.LivenessBoundNs;
        var live = new List<int>();
        foreach (SimProcess p in h.Processes)
        {
            if (!p.Crashed)
            {
                live.Add(p.Index);
            }
        }

        if (live.Count == 0)
        {
            report.MarkNotChecked(Guarantee.Liveness, "no process alive at the end");
            return;
        }

        var liveNodes = new uint[live.Count];
        for (int i = 0; i < live.Count; i++)
        {
            liveNodes[i] = h.Processes[live[i]].NodeId;
        }

        Array.Sort(liveNodes);
        int[] liveArray = [.. live];
        SimRecord? reference = null;
        long formedNs = 0;
        foreach (int p in live)
        {
            SimRecord? last = null;
            List<SimRecord> configs = view.Configs[p];
            for (int i = configs.Count - 1; i >= 0; i--)
            {
                if (configs[i].ConfigKind == SimConfigKind.Regular)
                {
                    last = configs[i];
                    break;
                }
            }

            string? problem = null;
            if (last == null)
            {
                problem = $"n{h.Processes[p].NodeId} never installed a regular configuration";
            }
            else if (!Sorted(last.Members).AsSpan().SequenceEqual(liveNodes))
            {
                problem = $"n{last.NodeId} ended in ring {last.RingId} with members [{string.Join(',', Sorted(last.Members))}], not all live nodes [{string.Join(',', liveNodes)}]";
            }
            else if (reference != null && reference.RingId != last.RingId)
            {
                problem = $"n{reference.NodeId} ended in ring {reference.RingId}, n{last.NodeId} in ring {last.RingId}";
            }
            else if (last.TimeNs > deadline)
            {
                problem = $"n{last.NodeId} installed the final ring {last.RingId} at {SimFormat.Time(last.TimeNs)}, after the bound {SimFormat.Time(deadline)} (faults healed at {SimFormat.Time(h.FaultsHealedNs)})";
            }

            if (problem != null)
            {
                report.Add(new Violation
                {
                    Guarantee = Guarantee.Liveness,
                    Description = problem,
                    Nodes = liveNodes,
                    Rings = last != null ? [last.RingId] : [],
                    Trace = Trace(view, h.Records.Count - 1, liveArray, []),
                });
                return;
            }

            reference ??= last;
            formedNs = Math.Max(formedNs, last!.TimeNs);
        }

        // Every message multicast by a live process once the final ring stood must reach every live process.
        foreach (SimRecord mc in view.Multicasts.Values)
        {
            if (mc.TimeNs < formedNs || mc.TimeNs >= h.AppStopNs || h.Processes[mc.Process].Crashed)
            {
                continue;
            }

            foreach (int p in live)
            {
                if (view.Position[p].ContainsKey(mc.Message))
                {
                    continue;
                }

                if (!report.Add(new Violation
                    {
                        Guarantee = Guarantee.Liveness,
                        Description =
                            $"{mc.Message}, multicast at {SimFormat.Time(mc.TimeNs)} in the final ring {reference!.RingId}, was never delivered by n{h.Processes[p].NodeId}",
                        Nodes = [mc.NodeId, h.Processes[p].NodeId],
                        Messages = [mc.Message],
                        Rings = [reference.RingId],
                        Trace = Trace(view, h.Records.Count - 1, [p, mc.Process], [mc.Message]),
                    }))
                {
                    return;
                }
            }
        }
    }
}
