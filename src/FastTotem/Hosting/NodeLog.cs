using System.Text;
using FastTotem.Protocol.Srp;
using Microsoft.Extensions.Logging;

namespace FastTotem.Hosting;

/// <summary>
/// A node's logging, kept off the protocol thread. The node's control-plane events (ring changes, gather reasons,
/// synchronisation, faults, transport reports) are raised on that thread; this class only copies each into a slot of
/// a bounded queue there (no allocation, no lock, no call into the logger) and a pool thread hands them to the
/// <see cref="ILogger"/>, so a slow or blocking logger never holds the ring up. A full queue drops the record and
/// counts it; the next drain reports how many were lost. Drops of packets are summarised from the node's counters by
/// a timer, at most once per <see cref="DropSummaryInterval"/>, and only when something was dropped.
/// Synchronisation start and abort are derived here: a regular ring starts one, and a new regular ring before
/// <see cref="TotemNode.SyncCompleted"/> aborts it.
/// </summary>
internal sealed class NodeLog : IThreadPoolWorkItem, IDisposable
{
    /// <summary>Records the protocol thread can queue ahead of the logger; control-plane events come in handfuls.</summary>
    private const int Capacity = 1024;

    private readonly TotemNode _node;
    private readonly ILogger _logger;
    private readonly Slot[] _slots = new Slot[Capacity];
    private TimeSpan _dropSummaryInterval;
    private long _enqueuePos;
    private long _dequeuePos;
    private int _draining;
    private long _lost;
    private Timer? _dropTimer;
    private NodeDropCounters _dropsReported;
    private RingId? _syncRing;
    private uint[] _transitionalLeft = Array.Empty<uint>();

    private NodeLog(TotemNode node, ILogger logger, TimeSpan dropSummaryInterval)
    {
        _node = node;
        _logger = logger;
        _dropSummaryInterval = dropSummaryInterval;
        for (int i = 0; i < Capacity; i++)
        {
            _slots[i].Sequence = i;
        }

        node.RingChanged += change => Enqueue(new Record { Kind = RecordKind.Ring, Change = change });
        node.GatherEntered += (reason, ringId) => Enqueue(new Record { Kind = RecordKind.Gather, Reason = reason, RingId = ringId });
        node.SyncCompleted += ringId => Enqueue(new Record { Kind = RecordKind.SyncCompleted, RingId = ringId });
        node.Faulted += fault => Enqueue(new Record { Kind = RecordKind.Fault, Fault = fault });
        node.TransportLog += line => Enqueue(new Record { Kind = RecordKind.Transport, Text = line });
        node.CryptoReconfigured += sender => Enqueue(new Record { Kind = RecordKind.Crypto, NodeId = sender });
    }

    /// <summary>How often dropped packets are summarised (when any were dropped); 10 s unless a test says otherwise.</summary>
    public TimeSpan DropSummaryInterval => _dropSummaryInterval;

    /// <summary>Tests, before the node starts: a shorter drop summary interval.</summary>
    public void SetDropSummaryInterval(TimeSpan interval) => _dropSummaryInterval = interval;

    /// <summary>Records a full queue could not keep (reported by the next drain).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>A log for <paramref name="node"/>, or null when there is no factory or it is the null one.</summary>
    public static NodeLog? TryCreate(ILoggerFactory? factory, TotemNode node, TimeSpan? dropSummaryInterval = null)
    {
        if (factory == null || factory is Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory)
        {
            return null;
        }

        return new NodeLog(node, factory.CreateLogger("FastTotem.TotemNode"), dropSummaryInterval ?? TimeSpan.FromSeconds(10));
    }

    /// <summary>Host thread: the node started; drop summaries begin.</summary>
    public void Started(string transport)
    {
        _dropsReported = _node.DropCounters;
        Enqueue(new Record { Kind = RecordKind.Started, Text = transport });
        _dropTimer = new Timer(static state => ((NodeLog)state!).SummariseDrops(), this, _dropSummaryInterval, _dropSummaryInterval);
    }

    /// <summary>Host thread: the node stopped (the record follows everything the loop queued before it).</summary>
    public void Stopped(bool leave) => Enqueue(new Record { Kind = RecordKind.Stopped, Leave = leave });

    /// <summary>Stops the drop timer and writes what is still queued.</summary>
    public void Dispose()
    {
        _dropTimer?.Dispose();
        SummariseDrops();
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            Execute();
        }
    }

    /// <summary>
    /// Any thread, usually the protocol thread: claims a slot (bounded multi-producer queue with per-slot sequence
    /// numbers), fills it, and schedules one drain on the pool unless one is scheduled already.
    /// </summary>
    private void Enqueue(in Record record)
    {
        long pos = Volatile.Read(ref _enqueuePos);
        while (true)
        {
            ref Slot slot = ref _slots[pos & (Capacity - 1)];
            long diff = Volatile.Read(ref slot.Sequence) - pos;
            if (diff == 0)
            {
                long seen = Interlocked.CompareExchange(ref _enqueuePos, pos + 1, pos);
                if (seen == pos)
                {
                    slot.Record = record;
                    Volatile.Write(ref slot.Sequence, pos + 1);
                    break;
                }

                pos = seen;
            }
            else if (diff < 0)
            {
                Interlocked.Increment(ref _lost); // full: the logger is behind by a whole queue
                return;
            }
            else
            {
                pos = Volatile.Read(ref _enqueuePos);
            }
        }

        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Pool thread (one at a time): writes every queued record, then lets the next enqueue schedule again.</summary>
    public void Execute()
    {
        while (true)
        {
            while (TryDequeue(out Record record))
            {
                try
                {
                    Write(in record);
                }
                catch (Exception)
                {
                    // A throwing logger loses its own line; the node and the other lines are unaffected.
                }
            }

            long lost = Interlocked.Exchange(ref _lost, 0);
            if (lost > 0)
            {
                NodeLogMessages.LogRecordsLost(_logger, _node.NodeId, lost);
            }

            Volatile.Write(ref _draining, 0);
            if (!HasQueued() || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
            {
                return; // empty, or a producer scheduled the next drain after our release
            }
        }
    }

    private bool HasQueued()
    {
        long pos = _dequeuePos;
        return Volatile.Read(ref _slots[pos & (Capacity - 1)].Sequence) == pos + 1;
    }

    private bool TryDequeue(out Record record)
    {
        long pos = _dequeuePos;
        ref Slot slot = ref _slots[pos & (Capacity - 1)];
        if (Volatile.Read(ref slot.Sequence) != pos + 1)
        {
            record = default;
            return false;
        }

        record = slot.Record;
        slot.Record = default; // let the ring change or fault be collected
        _dequeuePos = pos + 1;
        Volatile.Write(ref slot.Sequence, pos + Capacity);
        return true;
    }

    private void Write(in Record record)
    {
        uint nodeId = _node.NodeId;
        switch (record.Kind)
        {
            case RecordKind.Started:
                NodeLogMessages.NodeStarted(_logger, nodeId, record.Text!);
                break;
            case RecordKind.Stopped:
                NodeLogMessages.NodeStopped(_logger, nodeId, record.Leave);
                break;
            case RecordKind.Ring:
                RingChange change = record.Change!;
                if (change.Kind == RingChangeKind.Transitional)
                {
                    NodeLogMessages.TransitionalConfiguration(_logger, nodeId, change.RingId, change.Members, change.Left);
                    _transitionalLeft = change.Left;
                    break;
                }

                // corosync names the nodes that left in the transitional configuration and those that joined in the
                // regular one; the line a reader wants has both.
                NodeLogMessages.RingFormed(_logger, nodeId, change.RingId, change.Members, change.Joined,
                    change.Left.Length > 0 ? change.Left : _transitionalLeft);
                _transitionalLeft = Array.Empty<uint>();
                if (_syncRing is RingId unfinished)
                {
                    NodeLogMessages.SyncAborted(_logger, nodeId, unfinished, change.RingId);
                }

                _syncRing = change.RingId;
                NodeLogMessages.SyncStarted(_logger, nodeId, change.RingId);
                break;
            case RecordKind.Gather:
                NodeLogMessages.GatherEntered(_logger, nodeId, record.RingId, record.Reason);
                break;
            case RecordKind.SyncCompleted:
                _syncRing = null;
                NodeLogMessages.SyncCompleted(_logger, nodeId, record.RingId);
                break;
            case RecordKind.Fault:
                NodeFault fault = record.Fault!;
                if (fault.Kind == NodeFaultKind.Protocol)
                {
                    NodeLogMessages.ProtocolFault(_logger, fault.Message, fault.Exception);
                }
                else
                {
                    NodeLogMessages.HandlerFault(_logger, fault.Message, fault.Exception);
                }

                break;
            case RecordKind.Transport:
                NodeLogMessages.Transport(_logger, nodeId, record.Text!);
                break;
            case RecordKind.Crypto:
                NodeLogMessages.CryptoReconfigured(_logger, nodeId, record.NodeId);
                break;
        }
    }

    /// <summary>Timer thread: one line for what was dropped since the last line, if anything was.</summary>
    private void SummariseDrops()
    {
        try
        {
            NodeDropCounters now = _node.DropCounters;
            NodeDropCounters before = _dropsReported;
            var text = new StringBuilder();
            long total = 0;
            Add(text, ref total, "transport", now.TransportDrops - before.TransportDrops);
            Add(text, ref total, "srp malformed", now.SrpMalformed - before.SrpMalformed);
            Add(text, ref total, "srp misattributed", now.SrpMisattributed - before.SrpMisattributed);
            Add(text, ref total, "srp unlisted", now.SrpUnlisted - before.SrpUnlisted);
            Add(text, ref total, "srp impossible", now.SrpImpossible - before.SrpImpossible);
            Add(text, ref total, "totempg", now.TotempgDrops - before.TotempgDrops);
            Add(text, ref total, "cpg", now.CpgDrops - before.CpgDrops);
            Add(text, ref total, "votequorum", now.VotequorumDrops - before.VotequorumDrops);
            Add(text, ref total, "sync events", now.SyncDrops - before.SyncDrops);
            Add(text, ref total, "unconsumed deliveries", now.UnconsumedDeliveries - before.UnconsumedDeliveries);
            _dropsReported = now;
            if (total > 0)
            {
                NodeLogMessages.Drops(_logger, _node.NodeId, total, (int)Math.Ceiling(_dropSummaryInterval.TotalSeconds), text.ToString());
            }
        }
        catch (Exception)
        {
            // A disposed node or a throwing logger: the summary is lost, nothing else.
        }

        static void Add(StringBuilder text, ref long total, string name, long count)
        {
            if (count <= 0)
            {
                return;
            }

            total += count;
            text.Append(text.Length == 0 ? "" : ", ").Append(name).Append(' ').Append(count);
        }
    }

    private enum RecordKind : byte
    {
        Started,
        Stopped,
        Ring,
        Gather,
        SyncCompleted,
        Fault,
        Transport,
        Crypto,
    }

    private struct Record
    {
        public RecordKind Kind;
        public bool Leave;
        public GatherReason Reason;
        public uint NodeId;
        public RingId RingId;
        public RingChange? Change;
        public NodeFault? Fault;
        public string? Text;
    }

    private struct Slot
    {
        public long Sequence;
        public Record Record;
    }
}
