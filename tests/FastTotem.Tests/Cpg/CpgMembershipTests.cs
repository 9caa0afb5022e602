using FastTotem.Protocol;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Tests.Services;
using FastTotem.Wire;
using static FastTotem.Tests.Cpg.CpgTestHelpers;

namespace FastTotem.Tests.Cpg;

/// <summary>CPG membership semantics of corosync 3.1.7 on scripted sequences.</summary>
public class CpgMembershipTests
{
    private static ServiceTestCluster TwoNodesWithProcesses(out int handle1, out int handle2)
    {
        var cluster = new ServiceTestCluster();
        cluster.Add(NewNode(1));
        cluster.Add(NewNode(2));
        cluster.Sync([1, 2], _ => [], new MembRingId(1, 9));
        Assert.Equal(CpgResult.Ok, cluster.Nodes[1].Cpg().Join(GroupA, 100, out handle1));
        cluster.Flush(1, [1, 2], "join");
        Assert.Equal(CpgResult.Ok, cluster.Nodes[2].Cpg().Join(GroupA, 200, out handle2));
        cluster.Flush(2, [1, 2], "join");
        return cluster;
    }

    [Fact]
    public void JoinsProduceConfchgsWithJoinedAndMembers()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out int h1, out int h2);

        List<CpgEventCopy> node1 = Drain(cluster.Nodes[1].Cpg());
        Assert.Equal(CpgEventKind.TotemConfigChange, node1[0].Kind);
        Assert.Equal("1,2", node1[0].TotemMembers);
        List<CpgEventCopy> changes1 = node1.FindAll(e => e.Kind == CpgEventKind.ConfigChange);
        Assert.Equal(2, changes1.Count);
        Assert.All(changes1, e => Assert.Equal(h1, e.Handle));
        Assert.All(changes1, e => Assert.Equal("groupA", e.Group));
        Assert.Equal(("1:100", "1:100:Join", ""), (changes1[0].Members, changes1[0].Joined, changes1[0].Left));
        Assert.Equal(("1:100,2:200", "2:200:Join", ""), (changes1[1].Members, changes1[1].Joined, changes1[1].Left));

        // Node 2's process only sees the group from its own join on: one confchg, both members.
        List<CpgEventCopy> changes2 = ConfigChanges(cluster.Nodes[2].Cpg());
        CpgEventCopy only = Assert.Single(changes2);
        Assert.Equal(h2, only.Handle);
        Assert.Equal(("1:100,2:200", "2:200:Join"), (only.Members, only.Joined));
        Assert.Equal(CpgLocalState.JoinCompleted, cluster.Nodes[2].Cpg().GetLocalState(h2));
    }

    [Fact]
    public void MessagesAreDeliveredToEveryMemberInAgreedOrder()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out int h1, out int h2);
        Drain(cluster.Nodes[1].Cpg());
        Drain(cluster.Nodes[2].Cpg());

        Assert.Equal(SendResult.Ok, cluster.Nodes[1].Cpg().TryMcast(h1, "hello"u8));
        Assert.Equal(SendResult.Ok, cluster.Nodes[2].Cpg().TryMcast(h2, "world"u8));
        cluster.Flush(1, [1, 2], "m");
        cluster.Flush(2, [1, 2], "m");
        foreach (uint n in new uint[] { 1, 2 })
        {
            List<CpgEventCopy> events = Drain(cluster.Nodes[n].Cpg());
            Assert.Equal(2, events.Count);
            Assert.Equal((1u, 100u, "hello"), (events[0].NodeId, events[0].Pid, System.Text.Encoding.ASCII.GetString(events[0].Data)));
            Assert.Equal((2u, 200u, "world"), (events[1].NodeId, events[1].Pid, System.Text.Encoding.ASCII.GetString(events[1].Data)));
            Assert.All(events, e => Assert.Equal(CpgEventKind.Deliver, e.Kind));
            Assert.All(events, e => Assert.Equal("groupA", e.Group));
        }
    }

    [Fact]
    public void NodeLeavingTheRingGivesNodeDownConfchg()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out int h1, out _);
        Drain(cluster.Nodes[1].Cpg());

        cluster.Sync([1], _ => [1], new MembRingId(1, 13));
        List<CpgEventCopy> events = Drain(cluster.Nodes[1].Cpg());
        CpgEventCopy change = Assert.Single(events.FindAll(e => e.Kind == CpgEventKind.ConfigChange));
        Assert.Equal(h1, change.Handle);
        Assert.Equal(("1:100", "2:200:NodeDown", ""), (change.Members, change.Left, change.Joined));
        CpgEventCopy totem = events[^1];
        Assert.Equal(CpgEventKind.TotemConfigChange, totem.Kind);
        Assert.Equal("1", totem.TotemMembers);
        Assert.Equal(1, cluster.Nodes[1].Cpg().ProcessCount);

        // Node 1's round: the downlist naming node 2, then the joinlist of its own process.
        byte[] downlist = cluster.Nodes[1].Sent[^2].Message;
        Assert.Equal(CpgJoinList.EncodedLength(1), cluster.Nodes[1].Sent[^1].Message.Length);
        Assert.Equal(WireError.None, CpgDownlistMessage.TryRead(downlist, false, out CpgDownlistMessage d));
        Assert.Equal(2u, d.OldMembers);
        Assert.Equal(new uint[] { 2 }, d.Left.ToArray());
    }

    [Fact]
    public void ProcLeaveGivesLeaveConfchgAndFreesTheHandle()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out int h1, out int h2);
        Drain(cluster.Nodes[1].Cpg());
        Drain(cluster.Nodes[2].Cpg());

        Assert.Equal(CpgResult.Ok, cluster.Nodes[2].Cpg().Leave(h2));
        Assert.Equal(CpgLocalState.LeaveStarted, cluster.Nodes[2].Cpg().GetLocalState(h2));
        Assert.Equal(CpgResult.NotExist, cluster.Nodes[2].Cpg().Leave(h2));
        cluster.Flush(2, [1, 2], "leave");

        CpgEventCopy seenBy1 = Assert.Single(ConfigChanges(cluster.Nodes[1].Cpg()));
        Assert.Equal((h1, "1:100", "2:200:Leave"), (seenBy1.Handle, seenBy1.Members, seenBy1.Left));
        CpgEventCopy seenBy2 = Assert.Single(ConfigChanges(cluster.Nodes[2].Cpg()));
        Assert.Equal((h2, "1:100", "2:200:Leave"), (seenBy2.Handle, seenBy2.Members, seenBy2.Left));
        Assert.Equal(CpgLocalState.Unused, cluster.Nodes[2].Cpg().GetLocalState(h2));

        // The same pid may join again once its leave came back.
        Assert.Equal(CpgResult.Ok, cluster.Nodes[2].Cpg().Join(GroupA, 200, out _));
    }

    /// <summary>
    /// The flaky PublicApiTests join: a process left, its leave came back (the handle freed, the leave's confchg
    /// queued), and before the host polled that confchg a new process joined. It was given the freed handle, so the
    /// host routed the old leave to the new member, closed it, and its join was never confirmed (a 30 s timeout).
    /// </summary>
    [Fact]
    public void AHandleIsNotReusedWhileEventsOfItsLastProcessWait()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out _, out int h2);
        CpgService cpg2 = cluster.Nodes[2].Cpg();
        Drain(cluster.Nodes[1].Cpg());
        Drain(cpg2);

        Assert.Equal(CpgResult.Ok, cpg2.Leave(h2));
        cluster.Flush(2, [1, 2], "leave");
        Assert.Equal(CpgLocalState.Unused, cpg2.GetLocalState(h2)); // freed, its confchg still queued

        Assert.Equal(CpgResult.Ok, cpg2.Join(GroupB, 200, out int fresh));
        Assert.NotEqual(h2, fresh);
        cluster.Flush(2, [1, 2], "join");

        List<CpgEventCopy> changes = ConfigChanges(cpg2);
        Assert.Equal(2, changes.Count);
        Assert.Equal((h2, "groupA", "2:200:Leave", ""), (changes[0].Handle, changes[0].Group, changes[0].Left, changes[0].Joined));
        Assert.Equal((fresh, "groupB", "", "2:200:Join"), (changes[1].Handle, changes[1].Group, changes[1].Left, changes[1].Joined));

        // Once the host polled past it, the handle is free again.
        Assert.Equal(CpgResult.Ok, cpg2.Leave(fresh));
        cluster.Flush(2, [1, 2], "leave");
        Drain(cpg2);
        Assert.Equal(CpgResult.Ok, cpg2.Join(GroupA, 200, out int again));
        Assert.Equal(h2, again);
    }

    /// <summary>Every free handle still has events waiting: the join is asked to retry, not refused for good.</summary>
    [Fact]
    public void AJoinWhenEveryFreeHandleIsStillDrainingIsTryAgain()
    {
        var cluster = new ServiceTestCluster();
        CpgLimits small = SmallLimits;
        cluster.Add(NewNode(1, new CpgLimits
        {
            GroupCountMax = small.GroupCountMax,
            ProcessCountMax = small.ProcessCountMax,
            LocalProcessCountMax = 1,
            MessageLengthMax = small.MessageLengthMax,
            PartialSlotCount = small.PartialSlotCount,
            EventCountMax = small.EventCountMax,
            EventDataBytes = small.EventDataBytes,
        }));
        cluster.Sync([1], _ => [], new MembRingId(1, 9));
        CpgService cpg = cluster.Nodes[1].Cpg();
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupA, 100, out int h));
        cluster.Flush(1, [1], "join");
        Drain(cpg);
        Assert.Equal(CpgResult.Ok, cpg.Leave(h));
        cluster.Flush(1, [1], "leave");

        Assert.Equal(CpgResult.TryAgain, cpg.Join(GroupB, 100, out _));
        Assert.Single(ConfigChanges(cpg));
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupB, 100, out int next));
        Assert.Equal(h, next);
    }

    [Fact]
    public void ProcessExitSendsProcDown()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out int h1, out int h2);
        Drain(cluster.Nodes[1].Cpg());
        Assert.Equal(CpgResult.Ok, cluster.Nodes[2].Cpg().ProcessExit(h2));
        Assert.Equal(CpgLocalState.Unused, cluster.Nodes[2].Cpg().GetLocalState(h2));
        cluster.Flush(2, [1, 2], "exit");
        CpgEventCopy change = Assert.Single(ConfigChanges(cluster.Nodes[1].Cpg()));
        Assert.Equal(("1:100", "2:200:ProcDown"), (change.Members, change.Left));
    }

    [Fact]
    public void MergeAnnouncesRemoteProcessesAsNodeUpFromJoinlists()
    {
        var cluster = new ServiceTestCluster();
        cluster.Add(NewNode(1));
        cluster.Add(NewNode(2));
        cluster.Sync([1], _ => [], new MembRingId(1, 5));
        cluster.Sync([2], _ => [], new MembRingId(2, 5));
        Assert.Equal(CpgResult.Ok, cluster.Nodes[1].Cpg().Join(GroupA, 100, out int h1));
        cluster.Flush(1, [1], "join");
        Assert.Equal(CpgResult.Ok, cluster.Nodes[1].Cpg().Join(GroupB, 101, out int h1b));
        cluster.Flush(1, [1], "join");
        Assert.Equal(CpgResult.Ok, cluster.Nodes[2].Cpg().Join(GroupA, 200, out int h2));
        cluster.Flush(2, [2], "join");
        Drain(cluster.Nodes[1].Cpg());
        Drain(cluster.Nodes[2].Cpg());

        cluster.Sync([1, 2], n => [n], new MembRingId(1, 9));

        List<CpgEventCopy> at1 = ConfigChanges(cluster.Nodes[1].Cpg());
        CpgEventCopy a1 = Assert.Single(at1);
        Assert.Equal((h1, "groupA", "1:100,2:200", "2:200:NodeUp"), (a1.Handle, a1.Group, a1.Members, a1.Joined));

        List<CpgEventCopy> at2 = ConfigChanges(cluster.Nodes[2].Cpg());
        CpgEventCopy a2 = Assert.Single(at2);
        Assert.Equal((h2, "groupA", "1:100,2:200", "1:100:NodeUp"), (a2.Handle, a2.Group, a2.Members, a2.Joined));

        var members = new CpgAddress[4];
        Assert.Equal(1, cluster.Nodes[2].Cpg().GetMembers(GroupB, members));
        Assert.Equal(new CpgAddress(1, 101, CpgReason.Undefined), members[0]);
        Assert.NotEqual(h1, h1b);
    }

    [Fact]
    public void RemoteProcessNoJoinlistConfirmsIsProcDown()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out int h1, out _);
        Drain(cluster.Nodes[1].Cpg());

        // Node 2 comes back as a fresh daemon: it knows no process, so its round carries no joinlist.
        cluster.Nodes.Remove(2);
        cluster.Add(NewNode(2));
        cluster.Sync([1, 2], n => n == 1 ? [1, 2] : [2], new MembRingId(1, 13));

        CpgEventCopy change = Assert.Single(ConfigChanges(cluster.Nodes[1].Cpg()));
        Assert.Equal((h1, "1:100", "2:200:ProcDown"), (change.Handle, change.Members, change.Left));
        Assert.Equal(1, cluster.Nodes[1].Cpg().ProcessCount);
        Assert.Equal(1, cluster.Nodes[2].Cpg().ProcessCount);   // it learned 1:100 from node 1's joinlist
    }

    [Fact]
    public void MessageFromNodeWithoutProcessInGroupIsNotDelivered()
    {
        ServiceTestCluster cluster = TwoNodesWithProcesses(out _, out _);
        CpgService cpg = cluster.Nodes[1].Cpg();
        Drain(cpg);

        var outsider = new CpgService(3, new ExecOutbox(1024 * 1024 + 64 * 1024, 16), SmallLimits);
        outsider.SyncInit([], [3], new MembRingId(3, 5));
        outsider.SyncActivate();
        Assert.Equal(CpgResult.Ok, outsider.Join(GroupB, 300, out int h3));
        Assert.Equal(SendResult.Ok, outsider.TryMcast(h3, "x"u8));

        // Re-address the message to group A, where node 3 has no process.
        byte[] mcast = new byte[CpgMcastMessage.Size + 1];
        CpgMcastMessage header = default;
        header.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 3), mcast.Length);
        header.GroupName = MarCpgName.Create(GroupA);
        header.MsgLen = 1;
        header.Pid = 300;
        header.Source.NodeId = 3;
        header.TryWrite(mcast, "x"u8, out _);
        cpg.HandleExec(3, mcast, false);
        Assert.Empty(Drain(cpg));
        Assert.Equal(1, cpg.Counters.UnknownSenderDrops);

        // From node 2, which has a process there, the same bytes are delivered.
        cpg.HandleExec(2, mcast, false);
        Assert.Single(Drain(cpg));
    }

    [Fact]
    public void NothingOfOursLeavesBeforeCpgSyncCompleted()
    {
        var outbox = new ExecOutbox(2 * 1024 * 1024, 16);
        var cpg = new CpgService(1, outbox, SmallLimits);
        Assert.Equal(CpgResult.TryAgain, cpg.Join(GroupA, 1, out _));
        Assert.Equal(0, outbox.Count);

        cpg.SyncInit([], [1], new MembRingId(1, 5));
        Assert.Equal(CpgResult.TryAgain, cpg.Join(GroupA, 1, out _));
        Assert.False(cpg.SyncProcess());
        Assert.Equal(1, outbox.Count);          // only the downlist
        outbox.Dequeue();
        Assert.True(cpg.SyncProcess());
        Assert.Equal(CpgResult.TryAgain, cpg.Join(GroupA, 1, out _));
        cpg.SyncActivate();

        Assert.Equal(CpgResult.Ok, cpg.Join(GroupA, 1, out int handle));
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> procjoin));
        cpg.HandleExec(1, procjoin, false);
        outbox.Dequeue();

        // A new ring: sends wait again until CPG's round activated; an exit waits too.
        cpg.SyncInit([1], [1, 2], new MembRingId(1, 9));
        Assert.Equal(SendResult.TryAgain, cpg.TryMcast(handle, "x"u8));
        Assert.Equal(CpgResult.TryAgain, cpg.Leave(handle));
        Assert.Equal(CpgResult.Ok, cpg.ProcessExit(handle));
        Assert.Equal(CpgLocalState.ExitPending, cpg.GetLocalState(handle));
        Assert.Equal(0, outbox.Count);
        cpg.SyncProcess();
        Assert.Equal(2, outbox.Count);          // downlist + joinlist
        outbox.Dequeue();
        outbox.Dequeue();
        Assert.True(cpg.SyncProcess());
        cpg.SyncActivate();
        Assert.Equal(1, outbox.Count);          // now the PROCDOWN procleave
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> procleave));
        Assert.Equal(WireError.None, CpgProcJoinMessage.TryRead(procleave, false, out CpgProcJoinMessage leave));
        Assert.Equal((uint)CpgReason.ProcDown, leave.Reason);
        Assert.Equal(QbIpcRequestHeader.MakeId(2, 1), leave.Header.Id);
        Assert.Equal(CpgLocalState.Unused, cpg.GetLocalState(handle));
    }

    [Fact]
    public void NothingOfOursLeavesUntilTheWholeSynchronisationCompleted()
    {
        // corosync's sync_in_process: CPG's round may be done while later services (quorum, votequorum) still sync;
        // library sends stay refused until the last barrier, or they would share the transitional lane with the sync.
        var outbox = new ExecOutbox(2 * 1024 * 1024, 16);
        var phase = new SyncPhase();      // a node starts synchronising
        var cpg = new CpgService(1, outbox, SmallLimits, phase);
        cpg.SyncInit([], [1], new MembRingId(1, 5));
        cpg.SyncProcess();
        outbox.Dequeue();
        Assert.True(cpg.SyncProcess());
        cpg.SyncActivate();
        Assert.True(cpg.IsSynced);
        Assert.Equal(CpgResult.TryAgain, cpg.Join(GroupA, 1, out _));
        Assert.Equal(0, outbox.Count);

        phase.SyncCompleted();
        cpg.HandleSyncCompleted();
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupA, 1, out int handle));
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> procjoin));
        cpg.HandleExec(1, procjoin, false);
        outbox.Dequeue();
        Drain(cpg);

        // The next change: refused from the configuration change on, through CPG's activation, until completion.
        phase.ConfigurationChanged();
        Assert.Equal(SendResult.TryAgain, cpg.TryMcast(handle, "x"u8));
        cpg.SyncInit([1], [1], new MembRingId(1, 9));
        cpg.SyncProcess();
        outbox.Dequeue();
        outbox.Dequeue();
        Assert.True(cpg.SyncProcess());
        cpg.SyncActivate();
        Assert.Equal(SendResult.TryAgain, cpg.TryMcast(handle, "x"u8));
        Assert.Equal(CpgResult.TryAgain, cpg.Leave(handle));
        Assert.Equal(CpgResult.Ok, cpg.ProcessExit(handle));
        Assert.Equal(0, outbox.Count);          // the exit's PROCDOWN waits too

        phase.SyncCompleted();
        cpg.HandleSyncCompleted();
        Assert.Equal(1, outbox.Count);
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> procleave));
        Assert.Equal(WireError.None, CpgProcJoinMessage.TryRead(procleave, false, out CpgProcJoinMessage leave));
        Assert.Equal((uint)CpgReason.ProcDown, leave.Reason);
    }

    [Fact]
    public void LocalRequestErrorsFollowCorosync()
    {
        var outbox = new ExecOutbox(2 * 1024 * 1024, 16);
        var cpg = new CpgService(1, outbox, SmallLimits);
        cpg.SyncInit([], [1], new MembRingId(1, 5));
        cpg.SyncActivate();
        Assert.Equal(CpgResult.NameTooLong, cpg.Join(new byte[129], 1, out _));
        Assert.Equal(CpgResult.Ok, cpg.Join(new byte[128], 1, out int big));
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupA, 1, out int handle));
        Assert.Equal(CpgResult.Exists, cpg.Join(GroupA, 1, out _));
        Assert.Equal(CpgResult.Busy, cpg.Leave(handle));
        Assert.Equal(CpgResult.NotExist, cpg.Leave(99));
        Assert.Equal(SendResult.Ok, cpg.TryMcast(handle, "early"u8));   // JOIN_STARTED may already send
        Assert.Equal(SendResult.TooLarge, cpg.TryMcast(handle, new byte[SmallLimits.MessageLengthMax + 1]));
        Assert.NotEqual(big, handle);
    }
}
