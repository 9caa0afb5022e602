using System.Collections.Concurrent;
using System.Text;
using FastTotem.Config;
using FastTotem.Hosting.Status;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Knet;
using FastTotem.Protocol.Pg;
using FastTotem.Protocol.Services;
using FastTotem.Protocol.Srp;
using FastTotem.Transport;
using FastTotem.Wire;

using FastTotem.Hosting;

namespace FastTotem;

public sealed partial class TotemNode
{
    private readonly ConcurrentQueue<TaskCompletionSource<NodeStatus>> _statusWaiters = new();
    private int _statusRequested;
    private StatusServer? _statusServer;
    private long _syncsCompleted;
    private RingId? _lastSyncRing;
    private bool _openStatusSocketAtStart;

    /// <summary>
    /// Opens the node's status socket, <c>&lt;state_dir&gt;/fasttotem-&lt;nodeid&gt;.sock</c> unless
    /// <paramref name="path"/> says otherwise (mode 0600; a stale file is replaced), which <c>fasttotem status</c>
    /// reads: ring, members and links, quorum, synchronisation, CPG groups and counters. It is served by a thread of
    /// its own from snapshots the protocol thread takes between two steps, and closed (the file deleted) when the node
    /// is disposed. <see cref="TotemNodeOptions.StatusSocket"/> opens it at <see cref="Start"/>.
    /// </summary>
    /// <returns>The socket's path.</returns>
    /// <exception cref="IOException">A live node already answers on that path, or it cannot be bound.</exception>
    /// <exception cref="InvalidOperationException">The socket is already open.</exception>
    public string OpenStatusSocket(string? path = null)
    {
        if (_statusServer != null)
        {
            throw new InvalidOperationException($"the status socket is already open at {_statusServer.Path}");
        }

        _statusServer = StatusServer.Open(path ?? StatusServer.DefaultPath(_config.StateDir, NodeId), TakeStatus);
        return _statusServer.Path;
    }

    /// <summary>The open status socket's path, or null.</summary>
    public string? StatusSocketPath => _statusServer?.Path;

    /// <summary>
    /// A snapshot of the node taken by the protocol thread at its next step (it is woken for it); null when it does
    /// not answer within <paramref name="timeout"/> (not started, stopped or faulted). Any thread but the loop's.
    /// </summary>
    internal NodeStatus? TakeStatus(TimeSpan timeout)
    {
        if (Volatile.Read(ref _state) != 1 || IsFaulted)
        {
            return null;
        }

        var waiter = new TaskCompletionSource<NodeStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        _statusWaiters.Enqueue(waiter);
        Volatile.Write(ref _statusRequested, 1);
        Wake();
        try
        {
            return waiter.Task.Wait(timeout) ? waiter.Task.Result : null;
        }
        catch (AggregateException)
        {
            return null; // cancelled: the node is being disposed
        }
    }

    /// <summary>Loop thread: answers every waiting status request with one snapshot.</summary>
    private void AnswerStatusRequests()
    {
        Volatile.Write(ref _statusRequested, 0);
        if (_statusWaiters.IsEmpty)
        {
            return;
        }

        NodeStatus status = BuildStatus();
        while (_statusWaiters.TryDequeue(out TaskCompletionSource<NodeStatus>? waiter))
        {
            waiter.TrySetResult(status);
        }
    }

    private void CloseStatusSocket()
    {
        _statusServer?.Dispose();
        while (_statusWaiters.TryDequeue(out TaskCompletionSource<NodeStatus>? waiter))
        {
            waiter.TrySetCanceled();
        }
    }

    /// <summary>Loop thread (or a stopped node): everything <c>fasttotem status</c> shows, copied at one instant.</summary>
    internal NodeStatus BuildStatus()
    {
        SrpEngine engine = _machine.Engine;
        ReadOnlySpan<uint> ring = engine.Members;
        KnetMachine? knet = (_transport as KnetTransport)?.Machine;

        var members = new List<MemberStatus>(_config.Nodes.Count);
        foreach (ConfigNode n in _config.Nodes)
        {
            var addresses = new List<string>();
            foreach (string? a in n.RingAddresses)
            {
                if (a != null)
                {
                    addresses.Add(a);
                }
            }

            var links = new List<LinkStatus>();
            int host = knet != null && n.NodeId != NodeId && n.NodeId <= ushort.MaxValue ? knet.HostIndex((ushort)n.NodeId) : -1;
            if (knet != null && host >= 0)
            {
                for (int link = 0; link < KnetMachine.LinkMax; link++)
                {
                    if (!knet.IsConfigured(host, link))
                    {
                        continue;
                    }

                    ref readonly KnetLinkCounters c = ref knet.LinkCounters(host, link);
                    links.Add(new LinkStatus(link, knet.Address(host, link).ToString(), knet.IsConnected(host, link), knet.LinkMtu(host, link),
                        c.LinkUps, c.LinkDowns));
                }
            }

            members.Add(new MemberStatus(n.NodeId, n.Name, ring.Contains(n.NodeId), n.NodeId == NodeId, addresses.ToArray(), links.ToArray()));
        }

        QuorumState q = ReadQuorum();
        VotequorumStatus vs = _machine.Services.Votequorum.GetStatus();
        var flags = new List<string>();
        VotequorumConfig vqConfig = VotequorumConfig.FromCorosyncConfig(_config, NodeId);
        if (vqConfig.TwoNode)
        {
            flags.Add("2Node");
        }

        if (q.Quorate)
        {
            flags.Add("Quorate");
        }

        if ((vs.Flags & VotequorumNodeInfoMessage.FlagWaitForAll) != 0)
        {
            flags.Add("WaitForAll");
        }

        var quorum = new QuorumStatus(q.RingId, q.Quorate, q.ExpectedVotes, q.HighestExpected, q.TotalVotes, q.Quorum, q.NodeVotes,
            flags.ToArray(), q.Members.ToArray());

        // corosync-cpgtool: every process of the cluster-wide table, grouped by name.
        CpgService cpg = _machine.Cpg;
        var groups = new SortedDictionary<string, List<CpgMemberStatus>>(StringComparer.Ordinal);
        for (int i = 0; i < cpg.ProcessCount; i++)
        {
            string name = Encoding.UTF8.GetString(cpg.GetProcess(i, out uint nodeId, out uint pid));
            if (!groups.TryGetValue(name, out List<CpgMemberStatus>? list))
            {
                groups[name] = list = new List<CpgMemberStatus>();
            }

            list.Add(new CpgMemberStatus(nodeId, pid));
        }

        var groupArray = new CpgGroupStatus[groups.Count];
        int g = 0;
        foreach (KeyValuePair<string, List<CpgMemberStatus>> entry in groups)
        {
            entry.Value.Sort(static (a, b) => a.NodeId != b.NodeId ? a.NodeId.CompareTo(b.NodeId) : a.Pid.CompareTo(b.Pid));
            groupArray[g++] = new CpgGroupStatus(entry.Key, entry.Value.ToArray());
        }

        SrpCounters s = engine.Counters;
        var gather = new NamedCount[SrpCounters.GatherReasonCount];
        for (int i = 0; i < gather.Length; i++)
        {
            gather[i] = new NamedCount(GatherReasonNames.Name((GatherReason)i), s.GatherByReason[i]);
        }

        return new NodeStatus
        {
            NodeId = NodeId,
            ClusterName = _config.ClusterName ?? "",
            Transport = TransportDescription,
            ProcessId = Environment.ProcessId,
            TakenAt = DateTimeOffset.Now,
            State = engine.State.ToString().ToLowerInvariant(),
            Faulted = IsFaulted,
            Ring = new RingId(engine.RingId),
            Members = members.ToArray(),
            Quorum = quorum,
            Sync = new SyncStatus(_machine.Phase.SyncInProgress, _lastSyncRing, _syncsCompleted),
            Groups = groupArray,
            Counters = ReadCounters(),
            Drops = ReadDrops(),
            GatherReasons = gather,
        };
    }

    /// <summary>What the node did, by name (status and metrics read the same counters). Any thread; plain reads.</summary>
    internal NamedCount[] ReadCounters()
    {
        SrpCounters s = _machine.Engine.Counters;
        return
        [
            new("token_rotations", s.OrfTokenRx),
            new("tokens_sent", s.OrfTokenTx),
            new("token_retransmits", s.TokenRetransmits),
            new("mcasts_sent", s.McastTx),
            new("mcasts_received", s.McastRx),
            new("retransmits", s.McastRetransmitTx),
            new("recovery_mcasts_sent", s.RecoveryMcastTx),
            new("srp_delivered", s.Delivered),
            new("messages_sent", Volatile.Read(ref _metrics.MessagesSent)),
            new("bytes_sent", Volatile.Read(ref _metrics.BytesSent)),
            new("messages_delivered", Volatile.Read(ref _metrics.MessagesDelivered)),
            new("bytes_delivered", Volatile.Read(ref _metrics.BytesDelivered)),
            new("membership_changes", Volatile.Read(ref _metrics.MembershipChanges)),
            new("gather_entered", s.GatherEntered),
            new("commit_entered", s.CommitEntered),
            new("recovery_entered", s.RecoveryEntered),
            new("operational_entered", s.OperationalEntered),
            new("consensus_timeouts", s.ConsensusTimeouts),
            new("token_lost", s.TokenLostOperational + s.TokenLostCommit + s.TokenLostRecovery),
            new("syncs_completed", Volatile.Read(ref _syncsCompleted)),
            new("quorum_changes", QuorumChanges),
            new("handler_faults", HandlerFaults),
        ];
    }

    /// <summary>Every drop counter by reason, zeros included (docs/robustness.md). Any thread; plain reads.</summary>
    internal NamedCount[] ReadDrops()
    {
        SrpCounters s = _machine.Engine.Counters;
        PgAssembler pg = _machine.Assembler;
        CpgCounters cpg = _machine.Cpg.Counters;
        VotequorumService vq = _machine.Services.Votequorum;
        return
        [
            new("transport", _transport.DroppedPackets),
            new("srp_truncated", s.DropTruncated),
            new("srp_bad_magic", s.DropBadMagic),
            new("srp_bad_version", s.DropBadVersion),
            new("srp_unknown_type", s.DropUnknownType),
            new("srp_bad_length", s.DropBadLength),
            new("srp_too_large", s.DropTooLarge),
            new("srp_foreign_ring", s.DropForeignRing),
            new("srp_duplicate_token", s.DropDuplicateToken),
            new("srp_not_running", s.DropNotRunning),
            new("srp_store_full", s.DropStoreFull),
            new("srp_transmit_queue_full", s.TransmitQueueOverflow),
            new("srp_misattributed", s.DropMisattributed),
            new("srp_unlisted_node", s.DropUnlistedNode),
            new("srp_unlisted_transmitter", s.DropUnlistedTransmitter),
            new("srp_impossible_token", s.DropImpossibleToken),
            new("srp_bad_commit_token", s.DropBadCommitToken),
            new("srp_ring_seq_poison", s.RingSeqPoisonIgnored),
            new("totempg_malformed", pg.MalformedDrops),
            new("totempg_oversize", pg.OversizeDrops),
            new("totempg_no_slot", pg.NoSlotDrops),
            new("totempg_not_member", pg.NotMemberDrops),
            new("cpg_malformed", cpg.MalformedDrops),
            new("cpg_bad_name", cpg.BadNameDrops),
            new("cpg_unknown_function", cpg.UnknownFunctionDrops),
            new("cpg_unknown_sender", cpg.UnknownSenderDrops),
            new("cpg_table_full", cpg.TableFullDrops),
            new("cpg_partial", cpg.PartialDrops),
            new("cpg_event_overflow", cpg.EventOverflowDrops),
            new("votequorum_malformed", vq.MalformedDrops),
            new("votequorum_misattributed", vq.MisattributedDrops),
            new("votequorum_unlisted", vq.UnlistedDrops),
            new("votequorum_table_full", vq.TableFullDrops),
            new("node_event_overflow", _machine.Counters.EventOverflowDrops),
            new("unconsumed_deliveries", Interlocked.Read(ref _unconsumedDeliveries)),
        ];
    }
}
