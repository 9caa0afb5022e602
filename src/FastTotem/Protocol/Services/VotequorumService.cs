using FastTotem.Wire;

namespace FastTotem.Protocol.Services;

/// <summary>
/// The votequorum service (service 5, votequorum.c) as far as the wire and the quorum arithmetic go: the start-up
/// nodeinfo, nodeinfo(self) + nodeinfo(0) in every sync round, the nodeinfo handler and the quorum calculation
/// (calculate_quorum, recalculate_quorum, are_we_quorate), so the node reports what corosync-quorumtool would.
/// The node table is preallocated (384 nodes and this node, as cluster_nodes[]); a nodeinfo for a new node when it
/// is full and holds no dead entry is a counted drop.
/// </summary>
internal sealed class VotequorumService : ISyncParticipant, IExecHandler
{
    /// <summary>VOTEQUORUM_QDEVICE_NODEID: nodeinfo for this id describes the quorum-device slot.</summary>
    public const uint QdeviceNodeId = 0;

    private const int NodeCapacity = WireLimits.ProcessorCountMax + 1;

    private readonly ExecOutbox _outbox;
    private readonly VotequorumConfig _config;
    private readonly uint[] _nodeIds = new uint[NodeCapacity];
    private readonly uint[] _votes = new uint[NodeCapacity];
    private readonly uint[] _expected = new uint[NodeCapacity];
    private readonly uint[] _flags = new uint[NodeCapacity];
    private readonly VotequorumNodeState[] _states = new VotequorumNodeState[NodeCapacity];
    private readonly uint[] _quorumMembers = new uint[WireLimits.ProcessorCountMax];
    private int _nodeCount;
    private int _quorumMemberCount;

    // The quorum-device slot (nodeid 0): never a member here, it only carries votes when a device casts them.
    private uint _qdeviceVotes;
    // Without a registered device these stay 0: only the qdevice API (not supported) changes them.
    private const uint QdeviceExpectedVotes = 0;
    private const uint QdeviceFlags = 0;

    private uint _quorum;
    private bool _quorate;
    private bool _waitForAllStatus;
    private bool _syncInProgress;
    private bool _syncNodeInfoQueued;
    private long _syncTicket;
    private bool _started;

    public VotequorumService(ExecOutbox outbox, VotequorumConfig config)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(config);
        if (config.NodeId == QdeviceNodeId)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(config), "nodeid 0 is the quorum-device slot");
        }

        _outbox = outbox;
        _config = config;

        // votequorum_exec_init_fn: us is a member with one vote and FIRST set; readconfig fills votes/expected.
        _nodeIds[0] = config.NodeId;
        _states[0] = VotequorumNodeState.Member;
        _votes[0] = config.NodeVotes;
        _expected[0] = config.ExpectedVotes != 0 ? config.ExpectedVotes : 1;
        _flags[0] = VotequorumNodeInfoMessage.FlagFirst;
        _nodeCount = 1;
        if (config.EffectiveWaitForAll)
        {
            SetWaitForAllStatus(true);
        }

        RecalculateQuorum(allowDecrease: false, byCurrentNodes: false);
    }

    public int ServiceId => VotequorumExecFunction.ServiceId;

    public uint NodeId => _config.NodeId;

    /// <summary>Our flags as the next nodeinfo would carry them.</summary>
    public uint OwnFlags => _flags[0];

    public bool Quorate => _quorate;

    /// <summary>Between sync_init and sync_activate (corosync holds quorum notifications meanwhile).</summary>
    public bool SyncInProgress => _syncInProgress;

    /// <summary>nodeinfo messages applied.</summary>
    public long ReceivedNodeInfo { get; private set; }

    /// <summary>votequorum messages dropped: too short, unknown function, qdevice info from an unknown sender.</summary>
    public long MalformedDrops { get; private set; }

    /// <summary>reconfigure and qdevice messages: valid, but features we do not support, so ignored.</summary>
    public long IgnoredMessages { get; private set; }

    /// <summary>nodeinfo for a new node dropped because the node table was full.</summary>
    public long TableFullDrops { get; private set; }

    /// <summary>Nodeinfo about one node sent by another (only the qdevice slot may be reported by others).</summary>
    public long MisattributedDrops { get; private set; }

    /// <summary>Nodeinfo about a nodeid outside the nodelist.</summary>
    public long UnlistedDrops { get; private set; }

    /// <summary>Quorum notifications (one per completed sync round, as votequorum_sync_activate sends them).</summary>
    public long QuorumNotifications { get; private set; }

    /// <summary>Members of the ring of the last sync (quorum_members).</summary>
    public ReadOnlySpan<uint> QuorumMembers => _quorumMembers.AsSpan(0, _quorumMemberCount);

    public MembRingId QuorumRingId { get; private set; }

    /// <summary>
    /// The nodeinfo a daemon multicasts once when the service starts (votequorum_exec_init_fn, a#3). Call once,
    /// when the node comes up; false when the outbox was full (call again).
    /// </summary>
    public bool Start()
    {
        if (_started)
        {
            Invariant.ThrowInvalidOperation("votequorum was already started");
        }

        if (!TryQueueNodeInfo(_config.NodeId))
        {
            return false;
        }

        _started = true;
        return true;
    }

    /// <summary>Quorum state as corosync-quorumtool shows it.</summary>
    public VotequorumStatus GetStatus()
    {
        GetTotalVotes(out uint totalVotes, out _);
        uint highest = 0;
        for (int i = 0; i < _nodeCount; i++)
        {
            if (_states[i] == VotequorumNodeState.Member && _expected[i] > highest)
            {
                highest = _expected[i];
            }
        }

        return new VotequorumStatus(_expected[0], highest, totalVotes, _quorum, _quorate, _quorumMemberCount, _flags[0]);
    }

    /// <summary>What the node table says about <paramref name="nodeId"/>; false when unknown.</summary>
    public bool TryGetNode(uint nodeId, out uint votes, out uint expectedVotes, out uint flags, out VotequorumNodeState state)
    {
        if (nodeId == QdeviceNodeId)
        {
            votes = _qdeviceVotes;
            expectedVotes = QdeviceExpectedVotes;
            flags = QdeviceFlags;
            state = VotequorumNodeState.Unknown;
            return true;
        }

        int index = IndexOf(nodeId);
        if (index < 0)
        {
            votes = expectedVotes = flags = 0;
            state = VotequorumNodeState.Unknown;
            return false;
        }

        votes = _votes[index];
        expectedVotes = _expected[index];
        flags = _flags[index];
        state = _states[index];
        return true;
    }

    /// <summary>votequorum_sync_init.</summary>
    public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
    {
        _syncInProgress = true;
        _syncNodeInfoQueued = false;
        if (members.Length > 1)
        {
            _flags[0] &= ~VotequorumNodeInfoMessage.FlagFirst;
        }

        // Nodes of the previous ring that are not in the new one are dead; their votes stop counting.
        for (int i = 0; i < _quorumMemberCount; i++)
        {
            if (!members.Contains(_quorumMembers[i]))
            {
                int index = IndexOf(_quorumMembers[i]);
                if (index >= 0)
                {
                    _states[index] = VotequorumNodeState.Dead;
                }
            }
        }

        int count = Math.Min(members.Length, _quorumMembers.Length);
        members.Slice(0, count).CopyTo(_quorumMembers);
        _quorumMemberCount = count;
        QuorumRingId = ringId;
    }

    /// <summary>votequorum_sync_process: nodeinfo(self), nodeinfo(0), then wait until both left the outbox.</summary>
    public bool SyncProcess()
    {
        if (!_syncNodeInfoQueued)
        {
            if (!TryQueueNodeInfo(_config.NodeId))
            {
                return false;
            }

            if (!TryQueueNodeInfo(QdeviceNodeId))
            {
                _outbox.RollbackTail(1);
                return false;
            }

            _syncNodeInfoQueued = true;
            _syncTicket = _outbox.EnqueuedTotal;
        }

        return _outbox.HasSent(_syncTicket);
    }

    /// <summary>votequorum_sync_activate.</summary>
    public void SyncActivate()
    {
        RecalculateQuorum(allowDecrease: false, byCurrentNodes: false);
        _syncInProgress = false;
        QuorumNotifications++;
    }

    public void SyncAbort()
    {
    }

    /// <summary>The exec handlers of votequorum (nodeinfo applied; reconfigure and qdevice ignored).</summary>
    public void HandleExec(uint senderNodeId, ReadOnlySpan<byte> message, bool foreignEndian)
    {
        if (QbIpcRequestHeader.TryReadId(message, foreignEndian, out int id) != WireError.None)
        {
            MalformedDrops++;
            return;
        }

        switch (id & 0xFFFF)
        {
            case VotequorumExecFunction.NodeInfo:
                if (VotequorumNodeInfoMessage.TryRead(message, foreignEndian, out VotequorumNodeInfoMessage info) != WireError.None)
                {
                    MalformedDrops++;
                    return;
                }

                HandleNodeInfo(senderNodeId, in info);
                return;
            case VotequorumExecFunction.Reconfigure:
                Count(message.Length >= VotequorumReconfigureMessage.Size);
                return;
            case VotequorumExecFunction.QdeviceReg:
                Count(message.Length >= VotequorumQdeviceRegMessage.Size);
                return;
            case VotequorumExecFunction.QdeviceReconfigure:
                Count(message.Length >= VotequorumQdeviceReconfigureMessage.Size);
                return;
            default:
                MalformedDrops++;
                return;
        }
    }

    private void Count(bool wellFormed)
    {
        if (wellFormed)
        {
            IgnoredMessages++;
        }
        else
        {
            MalformedDrops++;
        }
    }

    /// <summary>message_handler_req_exec_votequorum_nodeinfo.</summary>
    private void HandleNodeInfo(uint senderNodeId, in VotequorumNodeInfoMessage info)
    {
        bool allowDowngrade = false;
        bool byNode = false;
        if (info.NodeId == QdeviceNodeId)
        {
            int sender = IndexOf(senderNodeId);
            if (sender < 0)
            {
                // corosync asserts here; a sender always sends its own nodeinfo first.
                MalformedDrops++;
                return;
            }

            uint oldVotes = _qdeviceVotes;
            _qdeviceVotes = !_quorate && (_flags[sender] & VotequorumNodeInfoMessage.FlagQuorate) != 0
                ? info.Votes
                : Math.Max(_qdeviceVotes, info.Votes);
            ReceivedNodeInfo++;
            if (oldVotes != _qdeviceVotes)
            {
                RecalculateQuorum(false, false);
            }

            return;
        }

        if (info.NodeId != senderNodeId)
        {
            // Identity binding at the service level (docs/robustness.md): a node speaks for itself only.
            MisattributedDrops++;
            return;
        }

        if (_config.NodeIds.Length > 0 && Array.IndexOf(_config.NodeIds, info.NodeId) < 0)
        {
            UnlistedDrops++;
            return;
        }

        int index = IndexOf(info.NodeId);
        bool newNode = false;
        if (index < 0)
        {
            index = AllocateNode(info.NodeId);
            if (index < 0)
            {
                TableFullDrops++;
                return;
            }

            newNode = true;
        }

        uint oldNodeVotes = newNode ? 0 : _votes[index];
        uint oldExpected = newNode ? 0 : _expected[index];
        uint oldFlags = newNode ? 0 : _flags[index];
        VotequorumNodeState oldState = newNode ? VotequorumNodeState.Dead : _states[index];

        _flags[index] = info.Flags;
        _votes[index] = info.Votes;
        _states[index] = VotequorumNodeState.Member;
        if ((info.Flags & VotequorumNodeInfoMessage.FlagLeaving) != 0)
        {
            _states[index] = VotequorumNodeState.Leaving;
            allowDowngrade = true;
            byNode = true;
        }

        if (!_quorate && (info.Flags & VotequorumNodeInfoMessage.FlagQuorate) != 0)
        {
            allowDowngrade = true;
            _expected[0] = info.ExpectedVotes;
        }

        _expected[index] = (info.Flags & VotequorumNodeInfoMessage.FlagQuorate) != 0 ? info.ExpectedVotes : _expected[0];
        ReceivedNodeInfo++;

        if (newNode
            || info.NodeId == _config.NodeId
            || (info.Flags & VotequorumNodeInfoMessage.FlagFirst) != 0
            || oldNodeVotes != _votes[index]
            || oldExpected != _expected[index]
            || oldFlags != _flags[index]
            || oldState != _states[index])
        {
            RecalculateQuorum(allowDowngrade, byNode);
        }

        if (_config.EffectiveWaitForAll
            && (info.Flags & VotequorumNodeInfoMessage.FlagWaitForAll) == 0
            && (info.Flags & VotequorumNodeInfoMessage.FlagQuorate) != 0)
        {
            SetWaitForAllStatus(false);
        }
    }

    /// <summary>votequorum_exec_send_nodeinfo: the node's current votes, expected votes and flags.</summary>
    private bool TryQueueNodeInfo(uint nodeId)
    {
        VotequorumNodeInfoMessage message;
        if (nodeId == QdeviceNodeId)
        {
            message = VotequorumNodeInfoMessage.Create(nodeId, _qdeviceVotes, QdeviceExpectedVotes, QdeviceFlags);
        }
        else
        {
            message = VotequorumNodeInfoMessage.Create(nodeId, _votes[0], _expected[0], _flags[0]);
        }

        if (!_outbox.TryEnqueue(VotequorumNodeInfoMessage.Size, out Span<byte> destination))
        {
            return false;
        }

        Invariant.Encoded(message.TryWrite(destination), "a nodeinfo fits its outbox entry");
        return true;
    }

    /// <summary>recalculate_quorum.</summary>
    private void RecalculateQuorum(bool allowDecrease, bool byCurrentNodes)
    {
        GetTotalVotes(out uint totalVotes, out uint clusterMembers);
        if (!byCurrentNodes)
        {
            clusterMembers = 0;
        }

        // Keep expected_votes at the highest number of votes seen in the cluster.
        if (totalVotes > _expected[0])
        {
            _expected[0] = totalVotes;
        }

        _quorum = CalculateQuorum(allowDecrease, clusterMembers, out totalVotes);
        if (clusterMembers != 0)
        {
            for (int i = 0; i < _nodeCount; i++)
            {
                if (_states[i] == VotequorumNodeState.Member)
                {
                    _expected[i] = clusterMembers;
                }
            }
        }

        AreWeQuorate(totalVotes);
    }

    /// <summary>get_total_votes: members' votes plus the device's.</summary>
    private void GetTotalVotes(out uint totalVotes, out uint clusterMembers)
    {
        uint total = 0;
        uint members = 0;
        for (int i = 0; i < _nodeCount; i++)
        {
            if (_states[i] == VotequorumNodeState.Member)
            {
                members++;
                total += _votes[i];
            }
        }

        if (_qdeviceVotes != 0)
        {
            total += _qdeviceVotes;
            members++;
        }

        totalVotes = total;
        clusterMembers = members;
    }

    /// <summary>calculate_quorum: more than half of the highest expected votes, never less than half the votes present.</summary>
    private uint CalculateQuorum(bool allowDecrease, uint maxExpected, out uint totalVotes)
    {
        uint total = 0;
        uint highestExpected = 0;
        uint totalNodes = 0;
        for (int i = 0; i < _nodeCount; i++)
        {
            if (_states[i] == VotequorumNodeState.Member)
            {
                highestExpected = Math.Max(highestExpected, _expected[i]);
                total += _votes[i];
                totalNodes++;
            }
        }

        if (maxExpected > 0)
        {
            highestExpected = maxExpected;
        }

        uint q1 = (highestExpected + 2) / 2;
        uint q2 = (total + 2) / 2;
        uint quorum = Math.Max(q1, q2);
        if (!allowDecrease)
        {
            quorum = Math.Max(_quorum, quorum);
        }

        if (_config.TwoNode && totalNodes <= 2)
        {
            quorum = 1;
        }

        totalVotes = total;
        return quorum;
    }

    /// <summary>are_we_quorate (without auto_tie_breaker and master_wins).</summary>
    private void AreWeQuorate(uint totalVotes)
    {
        if (_config.EffectiveWaitForAll && _waitForAllStatus)
        {
            if (totalVotes != _expected[0])
            {
                return;
            }

            SetWaitForAllStatus(false);
        }

        bool quorate = _quorum <= totalVotes;
        _quorate = quorate;
        if (quorate)
        {
            _flags[0] |= VotequorumNodeInfoMessage.FlagQuorate;
        }
        else
        {
            _flags[0] &= ~VotequorumNodeInfoMessage.FlagQuorate;
        }

        if (_config.EffectiveWaitForAll)
        {
            SetWaitForAllStatus(!quorate);
        }
    }

    private void SetWaitForAllStatus(bool waiting)
    {
        _waitForAllStatus = waiting;
        if (waiting)
        {
            _flags[0] |= VotequorumNodeInfoMessage.FlagWaitForAll;
        }
        else
        {
            _flags[0] &= ~VotequorumNodeInfoMessage.FlagWaitForAll;
        }
    }

    private int IndexOf(uint nodeId)
    {
        for (int i = 0; i < _nodeCount; i++)
        {
            if (_nodeIds[i] == nodeId)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>allocate_node: a fresh slot, or a dead node's slot once the table is full.</summary>
    private int AllocateNode(uint nodeId)
    {
        int index = -1;
        if (_nodeCount < NodeCapacity)
        {
            index = _nodeCount++;
        }
        else
        {
            for (int i = 1; i < _nodeCount; i++)
            {
                if (_states[i] == VotequorumNodeState.Dead)
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                return -1;
            }
        }

        _nodeIds[index] = nodeId;
        _votes[index] = 0;
        _expected[index] = 0;
        _flags[index] = 0;
        _states[index] = VotequorumNodeState.Unknown;
        return index;
    }
}
