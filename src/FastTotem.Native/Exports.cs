using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using FastTotem.Hosting;
using FastTotem.Config;
using FastTotem.Transport;

namespace FastTotem.Native;

/// <summary>
/// The C ABI of libfasttotem.so (native/include/fasttotem.h). Every export catches everything and returns an
/// error code: an exception escaping an [UnmanagedCallersOnly] method would abort the host. Handles are ids in
/// a table, so a stale or forged handle is an error code, never a crash.
/// </summary>
public static unsafe class Exports
{
    /// <summary>FT_API_VERSION: 3 gave node and group handles distinct types, grew ft_loop_info and ft_group_stats, and added confchgs.</summary>
    public const int ApiVersionNumber = 3;

    /// <summary>FT_API_VERSION_MINOR: additions that keep version 3 programs working (1: ft_node_quorum; 2: ft_node_host_drops; 3: ft_group_close).</summary>
    public const int ApiVersionMinorNumber = 3;

    private const int Ok = (int)FtError.Ok;
    private const int ErrInvalidArgument = (int)FtError.InvalidArgument;
    private const int ErrInvalidHandle = (int)FtError.InvalidHandle;
    private const int ErrConfig = (int)FtError.Config;
    private const int ErrTransport = (int)FtError.Transport;
    private const int ErrTryAgain = (int)FtError.TryAgain;
    private const int ErrTooLarge = (int)FtError.TooLarge;
    private const int ErrClosed = (int)FtError.Closed;
    private const int ErrTimeout = (int)FtError.Timeout;
    private const int ErrInternal = (int)FtError.Internal;
    private const int ErrState = (int)FtError.State;
    private const int ErrReleased = (int)FtError.Released;
    private const int ErrFaulted = (int)FtError.Faulted;
    private const uint FlagBusyPoll = 1;

    /// <summary>Membership changes a group keeps for ft_group_dispatch_confchg; more are counted as overruns.</summary>
    private const int ConfchgQueueMax = 1024;

    private static readonly ConcurrentDictionary<nint, object> Handles = new();
    private static long _nextHandle;

    [ThreadStatic]
    private static string? _lastError;

    [UnmanagedCallersOnly(EntryPoint = "ft_api_version")]
    public static int ApiVersion()
    {
        try
        {
            return ApiVersionNumber;
        }
        catch
        {
            return ErrInternal; // cannot happen; every export has the same shape (NativeAbiTests)
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_node_create")]
    public static int NodeCreate(byte* configPath, uint nodeId, nint* node)
    {
        try
        {
            return NodeCreateCore(configPath, nodeId, node);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    private static int NodeCreateCore(byte* configPath, uint nodeId, nint* node)
    {
        if (configPath == null || node == null)
        {
            return Fail(ErrInvalidArgument, "config_path and node must not be NULL");
        }

        return CreateNode(configPath, nodeId, busyPoll: false, pinCpu: -1, deliveryBytes: 0, node);
    }

    /// <summary>ft_node_create with loop settings that are not corosync.conf's business: pinning, busy-poll, slab size.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_node_create_ex")]
    public static int NodeCreateEx(byte* configPath, NodeConfig* config, nint* node)
    {
        try
        {
            return NodeCreateExCore(configPath, config, node);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    private static int NodeCreateExCore(byte* configPath, NodeConfig* config, nint* node)
    {
        if (configPath == null || config == null || node == null)
        {
            return Fail(ErrInvalidArgument, "config_path, config and node must not be NULL");
        }

        *node = 0;
        if (config->Size < sizeof(NodeConfig))
        {
            return Fail(ErrInvalidArgument, "config->size must be sizeof(ft_node_config)");
        }

        if (config->PinCpu < -1 || config->PinCpu >= Environment.ProcessorCount)
        {
            return Fail(ErrInvalidArgument, $"pin_cpu must be -1 or a CPU from 0 to {Environment.ProcessorCount - 1}");
        }

        if ((config->Flags & ~FlagBusyPoll) != 0 || (config->DeliveryBytes != 0 && config->DeliveryBytes < 4096) || config->DeliveryBytes > int.MaxValue)
        {
            return Fail(ErrInvalidArgument, "unknown flags, or delivery_bytes not 0 or 4096 to 2^31-1");
        }

        return CreateNode(configPath, config->NodeId, (config->Flags & FlagBusyPoll) != 0, config->PinCpu, (int)config->DeliveryBytes, node);
    }

    /// <summary>Both creates: load corosync.conf, build the node, hand out its handle; every failure is a code.</summary>
    private static int CreateNode(byte* configPath, uint nodeId, bool busyPoll, int pinCpu, int deliveryBytes, nint* node)
    {
        try
        {
            *node = 0;
            string path = Marshal.PtrToStringUTF8((nint)configPath)!;
            TotemNode created = TotemNode.FromConfigFile(path, nodeId == 0 ? null : nodeId, busyPoll, pinCpu);
            *node = Register(new NodeState(created, deliveryBytes));
            return Ok;
        }
        catch (CorosyncConfigException e)
        {
            return Fail(ErrConfig, e.Message);
        }
        catch (TransportException e)
        {
            return Fail(ErrTransport, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>Where the node's protocol loop thread runs (tid, last CPU, pinning, busy-poll).</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_node_loop_info")]
    public static int NodeLoopInfo(nint node, LoopInfo* info)
    {
        try
        {
            if (info == null)
            {
                return Fail(ErrInvalidArgument, "info must not be NULL");
            }

            if (!TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            LoopThreadInfo li = state.Node.LoopThreadInfo;
            info->Tid = li.Tid;
            info->Cpu = li.Cpu;
            info->PinCpu = li.PinCpu;
            info->Pinned = li.Pinned ? 1 : 0;
            info->PinErrno = li.PinErrno;
            info->BusyPoll = li.BusyPoll ? 1 : 0;
            info->Iterations = (ulong)li.Iterations;
            info->CpuMigrations = (ulong)li.CpuMigrations;
            info->SchedRr = li.RealTime ? 1 : 0;
            info->Reserved = 0;
            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_node_start")]
    public static int NodeStart(nint node)
    {
        try
        {
            if (!TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            if (state.Node.IsFaulted)
            {
                return Fail(ErrFaulted, state.Node.ProtocolFault?.Message ?? "the node faulted");
            }

            state.Node.Start();
            return Ok;
        }
        catch (InvalidOperationException e)
        {
            return Fail(ErrState, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_node_destroy")]
    public static int NodeDestroy(nint node)
    {
        try
        {
            if (!Handles.TryRemove(node, out object? o) || o is not NodeState state)
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            try
            {
                // Under the lock a racing ft_group_join either registered its group already or sees Destroyed.
                lock (state.Groups)
                {
                    state.Destroyed = true;
                }
            }
            finally
            {
                state.Node.Dispose();
            }

            // The loop thread is gone. A group whose host still holds leases stays behind for ft_group_release only,
            // keeping its pinned slab (and so every lease's data) alive until the last lease is released.
            foreach (nint g in state.Groups)
            {
                if (Handles.TryGetValue(g, out object? o2) && o2 is GroupState kept && kept.Group is { } pg && pg.HasOutstandingLeases)
                {
                    kept.Zombie = true;
                }
                else
                {
                    Handles.TryRemove(g, out _);
                }
            }

            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_node_id")]
    public static int NodeId(nint node, uint* nodeId)
    {
        try
        {
            if (nodeId == null || !TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle, or nodeid is NULL");
            }

            *nodeId = state.Node.NodeId;
            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_group_join")]
    public static int GroupJoin(nint node, byte* name, uint timeoutMs, nint* group)
    {
        try
        {
            if (name == null || group == null)
            {
                return Fail(ErrInvalidArgument, "name and group must not be NULL");
            }

            *group = 0;
            if (!TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            if (state.Node.IsFaulted)
            {
                return Fail(ErrFaulted, state.Node.ProtocolFault?.Message ?? "the node faulted");
            }

            string groupName = Marshal.PtrToStringUTF8((nint)name)!;
            if (groupName.Length == 0 || Encoding.UTF8.GetByteCount(groupName) > 128)
            {
                return Fail(ErrInvalidArgument, "group names hold 1 to 128 bytes");
            }

            // The confchg queue exists before the join is sent, so the first change (this member's join) is kept.
            var g = new GroupState(state.Node) { Owner = state };
            var options = new ProcessGroupOptions
            {
                Delivery = DeliveryMode.Queue,
                DeliveryQueueBytes = state.DeliveryBytes > 0 ? state.DeliveryBytes : new ProcessGroupOptions().DeliveryQueueBytes,
                MembershipChanged = g.OnMembership,
            };

            // A join not confirmed in time is withdrawn (cancelled): no member stays in the cluster without a handle.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeoutMs == 0 ? 30_000 : timeoutMs));
            Task<ProcessGroup> join = state.Node.JoinGroupAsync(groupName, options, timeout.Token);
            try
            {
                join.Wait();
            }
            catch (AggregateException) when (join.IsCanceled)
            {
                return Fail(ErrTimeout, "the join was not confirmed in time; it was withdrawn");
            }

            g.Group = join.Result;
            lock (state.Groups)
            {
                // ft_node_destroy ran meanwhile: the node (and the group with it) is gone; hand out no handle.
                if (state.Destroyed)
                {
                    return Fail(ErrInvalidHandle, "the node was destroyed during the join");
                }

                *group = Register(g);
                state.Groups.Add(*group);
            }

            return Ok;
        }
        catch (AggregateException e)
        {
            return Fail(ErrState, e.InnerException?.Message ?? e.Message);
        }
        catch (InvalidOperationException e)
        {
            return Fail(ErrState, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_group_leave")]
    public static int GroupLeave(nint group)
    {
        try
        {
            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            g.Group.Leave();
            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>
    /// v3.3, cpg_finalize for one group: leaves it (if it has not left) and frees its handle, so a host that joins and
    /// leaves groups does not keep every group's slabs until ft_node_destroy. A lease still held keeps the slab, and
    /// ft_group_release still answers for the handle, until the last one is released (as after ft_node_destroy).
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_close")]
    public static int GroupClose(nint group)
    {
        try
        {
            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            // Holding the consumer side: no take or dispatch runs meanwhile, and none starts after (Closed).
            if (!g.TryEnterConsumer(out bool nested))
            {
                return Fail(ErrState, "another thread is dispatching or taking from this group (one thread drains a group)");
            }

            try
            {
                if (g.Closed)
                {
                    return Fail(ErrInvalidHandle, "the group was closed");
                }

                g.Closed = true;
                g.Group.Leave();
                if (g.Owner is { } owner)
                {
                    lock (owner.Groups)
                    {
                        if (!owner.Destroyed)
                        {
                            owner.Groups.Remove(group); // (after a destroy, the destroy walks the list and frees the handle)
                        }
                    }
                }

                if (Volatile.Read(ref g.Leases) > 0)
                {
                    g.Zombie = true;
                }

                // A release racing the line above either saw Zombie and removed the handle, or left it to this check.
                if (!g.Zombie || Volatile.Read(ref g.Leases) == 0)
                {
                    Handles.TryRemove(group, out _);
                }
            }
            finally
            {
                g.ExitConsumer(nested);
            }

            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "ft_group_try_mcast")]
    public static int GroupTryMcast(nint group, byte* data, nuint length)
    {
        try
        {
            if (data == null && length != 0)
            {
                return Fail(ErrInvalidArgument, "data is NULL");
            }

            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            if (g.Node.IsFaulted)
            {
                return Fail(ErrFaulted, g.Node.ProtocolFault?.Message ?? "the node faulted");
            }

            if (length > int.MaxValue)
            {
                return Fail(ErrTooLarge, "message too large");
            }

            SendResult result = g.Group.TryMulticast(new ReadOnlySpan<byte>(data, (int)length));
            return result switch
            {
                SendResult.Ok or SendResult.TryAgain => (int)FtSendResult.ToFtError(result),
                SendResult.TooLarge => Fail((int)FtSendResult.ToFtError(result), $"messages hold at most {g.Group.Options.MaxMessageSize} bytes"),
                _ => Fail((int)FtSendResult.ToFtError(result), "the group was left or the node stopped"),
            };
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>Hands up to <paramref name="max"/> waiting deliveries to <paramref name="deliver"/> on the calling thread; returns how many, or an error.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_dispatch")]
    public static int GroupDispatch(nint group, delegate* unmanaged<void*, uint, uint, byte*, nuint, void> deliver, void* user, int max)
    {
        try
        {
            if (deliver == null || max <= 0)
            {
                return Fail(ErrInvalidArgument, "deliver must not be NULL and max must be positive");
            }

            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            if (g.Node.IsFaulted)
            {
                return Fail(ErrFaulted, g.Node.ProtocolFault?.Message ?? "the node faulted");
            }

            if (!g.TryEnterConsumer(out bool nested))
            {
                return Fail(ErrState, "another thread is dispatching or taking from this group (one thread drains a group)");
            }

            // The callback and its user pointer live in the group only while this thread drains it; a nested dispatch
            // from inside a callback (same thread) gets its own and the outer ones come back after it.
            delegate* unmanaged<void*, uint, uint, byte*, nuint, void> outerCallback = g.Callback;
            void* outerUser = g.User;
            try
            {
                if (g.Closed)
                {
                    return Fail(ErrInvalidHandle, "the group was closed");
                }

                g.Callback = deliver;
                g.User = user;
                int count = 0;
                while (count < max && !g.Closed && g.Group.TryReceive(g.Handler))
                {
                    count++;
                }

                return count;
            }
            finally
            {
                g.Callback = outerCallback;
                g.User = outerUser;
                g.ExitConsumer(nested);
            }
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>
    /// Leases the oldest waiting delivery in place (no copy): 1 when one was taken, 0 when none waits, or an error.
    /// The data stays valid until <see cref="GroupRelease"/>. Lock-free and allocation-free.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_take")]
    public static int GroupTake(nint group, Delivery* delivery)
    {
        try
        {
            if (delivery == null)
            {
                return Fail(ErrInvalidArgument, "delivery must not be NULL");
            }

            *delivery = default;
            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            if (g.Node.IsFaulted)
            {
                return Fail(ErrFaulted, g.Node.ProtocolFault?.Message ?? "the node faulted");
            }

            if (!g.TryEnterConsumer(out bool nested))
            {
                return Fail(ErrState, "another thread is dispatching or taking from this group (one thread drains a group)");
            }

            DeliveryLease lease;
            try
            {
                if (g.Closed)
                {
                    return Fail(ErrInvalidHandle, "the group was closed");
                }

                if (!g.Group.TryTakeDelivery(out lease))
                {
                    return 0;
                }

                Interlocked.Increment(ref g.Leases);
            }
            finally
            {
                g.ExitConsumer(nested);
            }

            fixed (byte* data = lease.Data)
            {
                // The slab is a pinned array: the address outlives this fixed block, as long as the lease.
                delivery->Data = data;
            }

            delivery->Length = (nuint)lease.Length;
            delivery->NodeId = lease.NodeId;
            delivery->Pid = lease.Pid;
            delivery->Token = (ulong)lease.Token;
            return 1;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>Sleeps until a delivery waits (1) or <paramref name="timeoutUs"/> passed (0); or an error.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_wait")]
    public static int GroupWait(nint group, uint timeoutUs)
    {
        try
        {
            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            if (g.Node.IsFaulted)
            {
                return Fail(ErrFaulted, g.Node.ProtocolFault?.Message ?? "the node faulted");
            }

            return g.Group.WaitForDelivery(timeoutUs * 1000L) ? 1 : 0;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>Ends a lease from <see cref="GroupTake"/>: FT_OK, FT_ERR_RELEASED for a second release, FT_ERR_INVALID_ARGUMENT for a token no lease has.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_release")]
    public static int GroupRelease(nint group, Delivery* delivery)
    {
        try
        {
            if (delivery == null)
            {
                return Fail(ErrInvalidArgument, "delivery must not be NULL");
            }

            // A destroyed node's group that still has leases out answers here, and only here (see ft_node_destroy).
            if (!Handles.TryGetValue(group, out object? o) || o is not GroupState g || g.Group == null)
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            if (delivery->Token > long.MaxValue)
            {
                return Fail(ErrInvalidArgument, "not a delivery of this group");
            }

            DeliveryRelease released = g.Group.ReleaseDelivery((long)delivery->Token);
            if (released == DeliveryRelease.Ok)
            {
                Interlocked.Decrement(ref g.Leases);
            }

            if (g.Zombie && Volatile.Read(ref g.Leases) == 0)
            {
                Handles.TryRemove(group, out _); // the last lease of a destroyed node's or closed group: its slab may go now
            }

            return released switch
            {
                DeliveryRelease.Ok => Ok,
                DeliveryRelease.AlreadyReleased => Fail(ErrReleased, "the delivery was already released"),
                _ => Fail(ErrInvalidArgument, "not a delivery of this group"),
            };
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>Every drop counter of the node, by layer (docs/robustness.md).</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_node_drop_counters")]
    public static int NodeDrops(nint node, NodeDropStatistics* stats)
    {
        try
        {
            return NodeDropsCore(node, stats);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    private static int NodeDropsCore(nint node, NodeDropStatistics* stats)
    {
        if (stats == null)
        {
            return Fail(ErrInvalidArgument, "stats must not be NULL");
        }

        if (!TryGet(node, out NodeState? state))
        {
            return Fail(ErrInvalidHandle, "not a node handle");
        }

        NodeDropCounters c = state.Node.DropCounters;
        stats->Transport = (ulong)c.TransportDrops;
        stats->SrpMalformed = (ulong)c.SrpMalformed;
        stats->SrpMisattributed = (ulong)c.SrpMisattributed;
        stats->SrpUnlisted = (ulong)c.SrpUnlisted;
        stats->SrpImpossible = (ulong)c.SrpImpossible;
        stats->Totempg = (ulong)c.TotempgDrops;
        stats->Cpg = (ulong)c.CpgDrops;
        stats->Votequorum = (ulong)c.VotequorumDrops;
        stats->Sync = (ulong)c.SyncDrops;
        return Ok;
    }

    /// <summary>v3.2: ft_node_host_drops: the drops of the host's own messages and deliveries.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_node_host_drops")]
    public static int HostDrops(nint node, HostDropStatistics* drops)
    {
        try
        {
            if (drops == null)
            {
                return Fail(ErrInvalidArgument, "drops must not be NULL");
            }

            if (!TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            NodeDropCounters c = state.Node.DropCounters;
            drops->UnconsumedDeliveries = (ulong)c.UnconsumedDeliveries;
            drops->DeliveryOverruns = (ulong)c.DeliveryOverruns;
            drops->SendsRefusedAfterQueueing = (ulong)c.SendsRefusedAfterQueueing;
            drops->HeldTrafficOverflows = (ulong)c.HeldTrafficOverflows;
            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>v3.1: FT_API_VERSION_MINOR of the library (a header's may be older).</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_api_version_minor")]
    public static int ApiVersionMinor()
    {
        try
        {
            return ApiVersionMinorNumber;
        }
        catch
        {
            return ErrInternal;
        }
    }

    /// <summary>v3.1: the cluster's quorum as the node's votequorum computes it; <c>changes</c> is the pollable change counter.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_node_quorum")]
    public static int NodeQuorum(nint node, QuorumInfo* quorum)
    {
        try
        {
            return NodeQuorumCore(node, quorum);
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    private static int NodeQuorumCore(nint node, QuorumInfo* quorum)
    {
        if (quorum == null)
        {
            return Fail(ErrInvalidArgument, "quorum must not be NULL");
        }

        if (!TryGet(node, out NodeState? state))
        {
            return Fail(ErrInvalidHandle, "not a node handle");
        }

        // The change counter first: a change published between the two reads shows as a newer count next time.
        long changes = state.Node.QuorumChanges;
        QuorumState q = state.Node.Quorum;
        quorum->Quorate = q.Quorate ? 1u : 0u;
        quorum->ExpectedVotes = q.ExpectedVotes;
        quorum->HighestExpected = q.HighestExpected;
        quorum->TotalVotes = q.TotalVotes;
        quorum->Quorum = q.Quorum;
        quorum->NodeVotes = q.NodeVotes;
        quorum->MemberCount = (uint)q.Members.Count;
        quorum->RingRep = q.RingId.Rep;
        quorum->RingSeq = q.RingId.Seq;
        quorum->Changes = (ulong)changes;
        return Ok;
    }

    /// <summary>v3.1: each quorum member's nodeid and votes (corosync-quorumtool's table); returns the member count.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_node_quorum_members")]
    public static int NodeQuorumMembers(nint node, uint* nodeIds, uint* votes, int capacity)
    {
        try
        {
            if ((nodeIds == null || votes == null) && capacity > 0)
            {
                return Fail(ErrInvalidArgument, "nodeids and votes must not be NULL when capacity > 0");
            }

            if (capacity < 0)
            {
                return Fail(ErrInvalidArgument, "capacity must not be negative");
            }

            if (!TryGet(node, out NodeState? state))
            {
                return Fail(ErrInvalidHandle, "not a node handle");
            }

            IReadOnlyList<QuorumMember> members = state.Node.Quorum.Members;
            for (int i = 0; i < members.Count && i < capacity; i++)
            {
                nodeIds[i] = members[i].NodeId;
                votes[i] = members[i].Votes;
            }

            return members.Count;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>The group's delivery counters: stalls (back-pressure; see fasttotem.h for its limit), overruns (dropped), slab bytes in use.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_counters")]
    public static int GroupStats(nint group, GroupStatistics* stats)
    {
        try
        {
            if (stats == null)
            {
                return Fail(ErrInvalidArgument, "stats must not be NULL");
            }

            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            stats->DeliveryStalls = (ulong)g.Group.DeliveryStalls;
            stats->DeliveryOverruns = (ulong)g.Group.DeliveryOverruns;
            stats->SlabBytesInUse = (ulong)g.Group.DeliveryBytesInUse;
            stats->SlabBytes = (ulong)g.Group.Options.DeliveryQueueBytes;
            stats->ConfchgOverruns = (ulong)Interlocked.Read(ref g.ConfchgOverruns);
            stats->UnconsumedDeliveries = (ulong)g.Group.UnconsumedDeliveries;
            return Ok;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>
    /// Hands up to <paramref name="max"/> waiting membership changes of the group, oldest first, to
    /// <paramref name="confchg"/> on the calling thread (libcpg's cpg_confchg_fn); returns how many, or an error.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_dispatch_confchg")]
    public static int GroupDispatchConfchg(nint group, delegate* unmanaged<void*, Confchg*, void> confchg, void* user, int max)
    {
        try
        {
            if (confchg == null || max <= 0)
            {
                return Fail(ErrInvalidArgument, "confchg must not be NULL and max must be positive");
            }

            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            int count = 0;
            while (count < max && g.Confchgs.TryDequeue(out GroupMembership? change))
            {
                Interlocked.Decrement(ref g.ConfchgCount);
                Member[] members = ToMembers(change.Members);
                Member[] left = ToMembers(change.Left);
                Member[] joined = ToMembers(change.Joined);
                fixed (Member* m = members)
                fixed (Member* l = left)
                fixed (Member* j = joined)
                {
                    var c = new Confchg
                    {
                        DeliveriesBefore = (ulong)change.DeliveriesBefore,
                        Members = m,
                        MemberCount = (nuint)members.Length,
                        Left = l,
                        LeftCount = (nuint)left.Length,
                        Joined = j,
                        JoinedCount = (nuint)joined.Length,
                    };
                    confchg(user, &c);
                }

                count++;
            }

            return count;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    private static Member[] ToMembers(GroupMember[] list)
    {
        var members = new Member[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            members[i] = new Member { NodeId = list[i].NodeId, Pid = list[i].Pid, Reason = (uint)list[i].Reason };
        }

        return members;
    }

    /// <summary>The members of the group as of its latest membership change: writes up to <paramref name="capacity"/> (nodeid, pid) pairs.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_group_members")]
    public static int GroupMembers(nint group, uint* nodeIds, uint* pids, int capacity)
    {
        try
        {
            if (!TryGet(group, out GroupState? g))
            {
                return Fail(ErrInvalidHandle, "not a group handle");
            }

            if (g.Node.IsFaulted)
            {
                return Fail(ErrFaulted, g.Node.ProtocolFault?.Message ?? "the node faulted");
            }

            GroupMember[] members = g.Group.Membership?.Members ?? Array.Empty<GroupMember>();
            if (capacity > 0 && (nodeIds == null || pids == null))
            {
                return Fail(ErrInvalidArgument, "nodeids and pids must not be NULL");
            }

            for (int i = 0; i < members.Length && i < capacity; i++)
            {
                nodeIds[i] = members[i].NodeId;
                pids[i] = members[i].Pid;
            }

            return members.Length;
        }
        catch (Exception e)
        {
            return Fail(ErrInternal, e.Message);
        }
    }

    /// <summary>A static description of an error code.</summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_strerror")]
    public static byte* StrError(int code)
    {
        try
        {
            return Utf8(FtErrorText.Describe((FtError)code));
        }
        catch
        {
            return null;
        }
    }

    /// <summary>
    /// Copies the detailed message of the last error on this thread into <paramref name="buffer"/> (NUL-terminated,
    /// truncated at a character boundary to fit) and returns the size the whole message needs, NUL included, whatever
    /// <paramref name="size"/> was: the copy is complete when the result is at most <paramref name="size"/>.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "ft_last_error")]
    public static int LastError(byte* buffer, nuint size)
    {
        try
        {
            string message = _lastError ?? "";
            int needed = Encoding.UTF8.GetByteCount(message) + 1;
            if (buffer == null || size == 0)
            {
                return needed;
            }

            var destination = new Span<byte>(buffer, (int)Math.Min(size, int.MaxValue));
            // Truncate by UTF-8 bytes, at a character boundary, leaving room for the NUL: a message with non-ASCII
            // characters (a path, say) can need more bytes than it has chars (found by the capi fuzz target).
            System.Text.Unicode.Utf8.FromUtf16(message, destination[..^1], out _, out int written);
            destination[written] = 0;
            return needed;
        }
        catch
        {
            return ErrInternal;
        }
    }

    private static int Fail(int code, string message)
    {
        _lastError = message;
        return code;
    }

    private static nint Register(object o)
    {
        nint id = (nint)Interlocked.Increment(ref _nextHandle) * 16 + 0x10000;
        Handles[id] = o;
        return id;
    }

    private static bool TryGet<T>(nint handle, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value)
        where T : class
    {
        value = Handles.TryGetValue(handle, out object? o) && o is not GroupState { Zombie: true } ? o as T : null;
        return value != null;
    }

    private static readonly ConcurrentDictionary<string, nint> Strings = new();

    private static byte* Utf8(string s) =>
        (byte*)Strings.GetOrAdd(s, static text =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text + "\0");
            nint p = Marshal.AllocHGlobal(bytes.Length);
            Marshal.Copy(bytes, 0, p, bytes.Length);
            return p;
        });

    private sealed class NodeState(TotemNode node, int deliveryBytes)
    {
        public TotemNode Node { get; } = node;

        public int DeliveryBytes { get; } = deliveryBytes;

        public List<nint> Groups { get; } = new();

        /// <summary>Set by ft_node_destroy under the Groups lock.</summary>
        public bool Destroyed { get; set; }
    }

    private sealed class GroupState
    {
        public GroupState(TotemNode node)
        {
            Node = node;
            Handler = Deliver;
        }

        /// <summary>Set once the join is confirmed, before the handle is handed out.</summary>
        public ProcessGroup Group { get; set; } = null!;

        /// <summary>Its node was destroyed, or it was closed, while the host held leases: only ft_group_release still answers.</summary>
        public volatile bool Zombie;

        /// <summary>Set by ft_group_close while it holds the consumer side: no take or dispatch starts after it.</summary>
        public volatile bool Closed;

        /// <summary>Leases taken (ft_group_take) and not yet released: exact while the node runs, unlike a slab scan.</summary>
        public long Leases;

        /// <summary>The node it was joined on (its group list loses the handle when the group is closed).</summary>
        public NodeState? Owner { get; init; }

        public readonly System.Collections.Concurrent.ConcurrentQueue<GroupMembership> Confchgs = new();

        public int ConfchgCount;

        public long ConfchgOverruns;

        /// <summary>Protocol thread: keeps a membership change for ft_group_dispatch_confchg (bounded; overflow counted).</summary>
        public void OnMembership(GroupMembership change)
        {
            if (Interlocked.Increment(ref ConfchgCount) > ConfchgQueueMax)
            {
                Interlocked.Decrement(ref ConfchgCount);
                Interlocked.Increment(ref ConfchgOverruns);
                return;
            }

            Confchgs.Enqueue(change);
        }

        public TotemNode Node { get; }

        public DeliverHandler Handler { get; }

        public delegate* unmanaged<void*, uint, uint, byte*, nuint, void> Callback;

        /// <summary>The managed id of the thread draining the group now (ft_group_dispatch, ft_group_take), or 0.</summary>
        private int _consumer;

        /// <summary>
        /// Claims the group's consumer side for the calling thread: false when another thread holds it (the slab is
        /// single-consumer, and ft_group_dispatch keeps its callback here; docs/robustness.md, finding M6). A thread that holds it
        /// already (a take or dispatch from inside a callback) may go on: <paramref name="nested"/>.
        /// </summary>
        public bool TryEnterConsumer(out bool nested)
        {
            int me = Environment.CurrentManagedThreadId;
            int holder = Interlocked.CompareExchange(ref _consumer, me, 0);
            nested = holder == me;
            return holder == 0 || nested;
        }

        public void ExitConsumer(bool nested)
        {
            if (!nested)
            {
                Volatile.Write(ref _consumer, 0);
            }
        }

        public void* User;

        private void Deliver(uint nodeId, uint pid, ReadOnlySpan<byte> data)
        {
            fixed (byte* p = data)
            {
                Callback(User, nodeId, pid, p, (nuint)data.Length);
            }
        }
    }

    /// <summary>struct ft_node_config (fasttotem.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NodeConfig
    {
        public uint Size;
        public uint NodeId;
        public int PinCpu;
        public uint Flags;
        public uint DeliveryBytes;
        public uint Reserved;
    }

    /// <summary>struct ft_loop_info (fasttotem.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LoopInfo
    {
        public int Tid;
        public int Cpu;
        public int PinCpu;
        public int Pinned;
        public int PinErrno;
        public int BusyPoll;
        public ulong Iterations;
        public ulong CpuMigrations;
        public int SchedRr;
        public int Reserved;
    }

    /// <summary>struct ft_delivery (fasttotem.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Delivery
    {
        public byte* Data;
        public nuint Length;
        public uint NodeId;
        public uint Pid;
        public ulong Token;
    }

    /// <summary>struct ft_node_drops (fasttotem.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NodeDropStatistics
    {
        public ulong Transport;
        public ulong SrpMalformed;
        public ulong SrpMisattributed;
        public ulong SrpUnlisted;
        public ulong SrpImpossible;
        public ulong Totempg;
        public ulong Cpg;
        public ulong Votequorum;
        public ulong Sync;
    }

    /// <summary>struct ft_host_drops (fasttotem.h, v3.2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct HostDropStatistics
    {
        public ulong UnconsumedDeliveries;
        public ulong DeliveryOverruns;
        public ulong SendsRefusedAfterQueueing;
        public ulong HeldTrafficOverflows;
    }

    /// <summary>struct ft_quorum (fasttotem.h, v3.1).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct QuorumInfo
    {
        public uint Quorate;
        public uint ExpectedVotes;
        public uint HighestExpected;
        public uint TotalVotes;
        public uint Quorum;
        public uint NodeVotes;
        public uint MemberCount;
        public uint RingRep;
        public ulong RingSeq;
        public ulong Changes;
    }

    /// <summary>struct ft_group_stats (fasttotem.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct GroupStatistics
    {
        public ulong DeliveryStalls;
        public ulong DeliveryOverruns;
        public ulong SlabBytesInUse;
        public ulong SlabBytes;
        public ulong ConfchgOverruns;
        public ulong UnconsumedDeliveries;
    }

    /// <summary>struct ft_member (fasttotem.h): cpg_address's fields.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Member
    {
        public uint NodeId;
        public uint Pid;
        public uint Reason;
    }

    /// <summary>struct ft_confchg (fasttotem.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Confchg
    {
        public ulong DeliveriesBefore;
        public Member* Members;
        public nuint MemberCount;
        public Member* Left;
        public nuint LeftCount;
        public Member* Joined;
        public nuint JoinedCount;
    }
}
