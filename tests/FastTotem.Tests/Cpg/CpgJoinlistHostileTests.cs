using System.Text;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Wire;
using static FastTotem.Tests.Cpg.CpgTestHelpers;

namespace FastTotem.Tests.Cpg;

/// <summary>
/// Forged joinlists (docs/robustness.md, finding D7): a joinlist is believed only during a synchronisation, as corosync's joinlists
/// only ever travel in one, and only from a member of the ring being synchronised; no single node's joinlists or
/// procjoins may take more than its share of the process table, so the real processes of the others keep their room.
/// </summary>
public class CpgJoinlistHostileTests
{
    private static readonly CpgLimits Limits = new()
    {
        GroupCountMax = 64,
        ProcessCountMax = 64,
        ProcessesPerNodeMax = 16,
        LocalProcessCountMax = 8,
        MessageLengthMax = 64 * 1024,
        PartialSlotCount = 1,
        EventCountMax = 256,
        EventDataBytes = 1024 * 1024,
    };

    /// <summary>Node 1, synchronised in ring {1,2}, with one local process (pid 10) in group A.</summary>
    private static (CpgService Cpg, ExecOutbox Outbox) Node1()
    {
        var outbox = new ExecOutbox(1024 * 1024, 64);
        var cpg = new CpgService(1, outbox, Limits);
        cpg.SyncInit([], [1, 2], new MembRingId(1, 4));
        cpg.SyncActivate();
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupA, 10, out _));
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> procjoin));
        cpg.HandleExec(1, procjoin, false);
        while (outbox.TryPeek(out _))
        {
            outbox.Dequeue();
        }

        Drain(cpg);
        return (cpg, outbox);
    }

    private static byte[] Joinlist(string groupPrefix, uint firstPid, int count, bool distinctGroups = true)
    {
        byte[] bytes = new byte[CpgJoinList.EncodedLength(count)];
        Assert.Equal(WireError.None, CpgJoinList.TryWriteHeader(bytes, count));
        for (int i = 0; i < count; i++)
        {
            CpgJoinListEntry entry = default;
            entry.Pid = firstPid + (uint)i;
            entry.GroupName = MarCpgName.Create(Encoding.ASCII.GetBytes(distinctGroups ? $"{groupPrefix}{i}" : groupPrefix));
            Assert.Equal(WireError.None, CpgJoinList.TryWriteEntry(bytes, i, in entry));
        }

        return bytes;
    }

    [Fact]
    public void AJoinlistOutsideASynchronisationIsDroppedAndNeverApplied()
    {
        (CpgService cpg, _) = Node1();
        // Operational ring {1,2}: a "joinlist" from member 2 names 5 processes nobody announced.
        cpg.HandleExec(2, Joinlist("forged", 500, 5), false);
        Assert.Equal(1, cpg.Counters.JoinlistOutsideSyncDrops);

        // The next synchronisation carries no joinlist of node 2's: it has no processes, so none may appear.
        cpg.SyncInit([1, 2], [1, 2], new MembRingId(1, 8));
        cpg.SyncActivate();
        Assert.Equal(1, cpg.ProcessCount);
        Assert.DoesNotContain(Drain(cpg), e => e.Kind == CpgEventKind.ConfigChange && e.Joined.Contains("2:50", StringComparison.Ordinal));
    }

    [Fact]
    public void AJoinlistFromANodeOutsideTheRingIsDropped()
    {
        (CpgService cpg, _) = Node1();
        cpg.SyncInit([1, 2], [1, 2], new MembRingId(1, 8));
        cpg.HandleExec(7, Joinlist("groupA", 70, 1, distinctGroups: false), false);
        cpg.HandleExec(2, Joinlist("groupA", 20, 1, distinctGroups: false), false);
        cpg.SyncActivate();
        Assert.Equal(1, cpg.Counters.JoinlistNonMemberDrops);
        // Node 2's real process joined group A; node 7's forged one did not.
        Assert.Equal(2, cpg.ProcessCount);
        CpgEventCopy change = Assert.Single(ConfigChanges(cpg));
        Assert.Equal("2:20:NodeUp", change.Joined);
    }

    /// <summary>
    /// One member's joinlist of 600 processes (a forged 86 KB message; corosync would take every entry into its
    /// unbounded lists) used to fill the joinlist store and the process table: the other member's real joinlist in the
    /// same round was dropped, its process got no NODEUP, and our own host could not join a group any more.
    /// </summary>
    [Fact]
    public void OneNodesHugeJoinlistTakesNoMoreThanItsShare()
    {
        (CpgService cpg, ExecOutbox outbox) = Node1();
        cpg.SyncInit([1, 2], [1, 2, 3], new MembRingId(1, 8));
        cpg.HandleExec(2, Joinlist("flood", 1000, 600), false);
        cpg.HandleExec(3, Joinlist("groupA", 30, 1, distinctGroups: false), false);
        cpg.SyncActivate();

        Assert.Equal(600 - Limits.ProcessesPerNodeMax, cpg.Counters.NodeShareDrops);
        Assert.Equal(1 + Limits.ProcessesPerNodeMax + 1, cpg.ProcessCount);
        Assert.Contains(ConfigChanges(cpg), e => e.Group == "groupA" && e.Joined == "3:30:NodeUp");

        // The table still has room for our own processes.
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupB, 11, out _));

        // Node 2's procjoins beyond its share are refused too, and counted.
        long before = cpg.Counters.NodeShareDrops;
        byte[] procjoin = new byte[CpgProcJoinMessage.Size];
        CpgProcJoinMessage m = default;
        m.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 0), CpgProcJoinMessage.Size);
        m.GroupName = MarCpgName.Create("more"u8);
        m.Pid = 5000;
        m.Reason = 1;
        m.TryWrite(procjoin);
        cpg.HandleExec(2, procjoin, false);
        Assert.Equal(before + 1, cpg.Counters.NodeShareDrops);
        Assert.Equal(1 + Limits.ProcessesPerNodeMax + 1, cpg.ProcessCount);
        GC.KeepAlive(outbox);
    }
}
