using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Tests.Services;
using FastTotem.Wire;

namespace FastTotem.Tests.Cpg;

/// <summary>CPG messages we build, against the same messages in the golden captures.</summary>
public class CpgFixtureTests
{
    private static readonly byte[] FastTotem = "fasttotem"u8.ToArray();

    /// <summary>source.conn (offset 176 of an mcast, 192 of a partial_mcast) is the sender's local pointer; ours differs.</summary>
    private const int McastConnOffset = CpgMcastMessage.Size - 8;

    private static byte[] Fixture(string fixture, int frame, int index = 0)
    {
        List<CaptureExecMessages.Message> messages = CaptureExecMessages.AtFrame(fixture, frame);
        Assert.True(messages.Count > index, $"{fixture}#{frame} has {messages.Count} messages");
        Assert.Equal("a", messages[index].Group);
        return messages[index].Payload;
    }

    private static (CpgService Cpg, ExecOutbox Outbox) SyncedSingleton(uint nodeId)
    {
        var outbox = new ExecOutbox(8 * 1024 * 1024, 256);
        var cpg = new CpgService(nodeId, outbox, CpgTestHelpers.SmallLimits);
        cpg.SyncInit([], [nodeId], new MembRingId(nodeId, 5));
        while (!cpg.SyncProcess())
        {
            outbox.Dequeue();
        }

        cpg.SyncActivate();
        return (cpg, outbox);
    }

    private static byte[] Take(ExecOutbox outbox)
    {
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> message));
        byte[] copy = message.ToArray();
        outbox.Dequeue();
        return copy;
    }

    [Fact]
    public void ProcJoinIsByteIdenticalToD18()
    {
        (CpgService cpg, ExecOutbox outbox) = SyncedSingleton(2);
        Assert.Equal(CpgResult.Ok, cpg.Join(FastTotem, 11928, out _));
        Assert.Equal(Fixture("d", 18), Take(outbox));
    }

    [Fact]
    public void McastIsByteIdenticalToD171ExceptSourceConn()
    {
        (CpgService cpg, ExecOutbox outbox) = SyncedSingleton(1);
        Assert.Equal(CpgResult.Ok, cpg.Join(FastTotem, 11955, out int handle));
        Take(outbox);
        Assert.Equal(SendResult.Ok, cpg.TryMcast(handle, "AAAAAAAA\u0008\u0009"u8));
        byte[] ours = Take(outbox);
        byte[] theirs = Fixture("d", 171);
        Assert.Equal(194, ours.Length);
        Assert.Equal(theirs.AsSpan(0, McastConnOffset).ToArray(), ours.AsSpan(0, McastConnOffset).ToArray());
        Assert.Equal(theirs.AsSpan(McastConnOffset + 8).ToArray(), ours.AsSpan(McastConnOffset + 8).ToArray());
        Assert.Equal(0x0000558adb913f50ul, BitConverter.ToUInt64(theirs, McastConnOffset));
        Assert.Equal(CpgService.SourceConn(handle), BitConverter.ToUInt64(ours, McastConnOffset));
    }

    /// <summary>d: ring {1,2} with one process per node, node 3 joins; node 1's sync round is downlist + d#564 joinlist.</summary>
    [Fact]
    public void JoinlistIsByteIdenticalToD564()
    {
        var cluster = new ServiceTestCluster();
        cluster.Add(CpgTestHelpers.NewNode(1));
        cluster.Add(CpgTestHelpers.NewNode(2));
        cluster.Add(CpgTestHelpers.NewNode(3));
        cluster.Sync([1, 2], _ => [], new MembRingId(1, 9));
        Assert.Equal(CpgResult.Ok, cluster.Nodes[1].Cpg().Join(FastTotem, 11955, out _));
        cluster.Flush(1, [1, 2], "join");
        Assert.Equal(CpgResult.Ok, cluster.Nodes[2].Cpg().Join(FastTotem, 11928, out _));
        cluster.Flush(2, [1, 2], "join");
        cluster.Sync([3], _ => [], new MembRingId(3, 5));

        int mark1 = cluster.Nodes[1].Sent.Count, mark2 = cluster.Nodes[2].Sent.Count, mark3 = cluster.Nodes[3].Sent.Count;
        cluster.Sync([1, 2, 3], n => n == 3 ? [3] : [1, 2], new MembRingId(1, 13));

        List<(string Round, byte[] Message)> sent1 = cluster.Nodes[1].Sent;
        Assert.Equal(mark1 + 2, sent1.Count);
        Assert.Equal(WireError.None, CpgDownlistMessage.TryRead(sent1[mark1].Message, false, out CpgDownlistMessage downlist));
        Assert.Equal(2u, downlist.OldMembers);
        Assert.Equal(0u, downlist.LeftNodes);
        Assert.Equal(Fixture("d", 564), sent1[mark1 + 1].Message);
        Assert.Equal(Fixture("d", 571), cluster.Nodes[2].Sent[mark2 + 1].Message);
        Assert.Equal(mark3 + 1, cluster.Nodes[3].Sent.Count);   // node 3 has no process: downlist only

        // Everyone now knows both processes; node 3 learned them from the joinlists (NODEUP).
        var members = new CpgAddress[4];
        Assert.Equal(2, cluster.Nodes[3].Cpg().GetMembers(FastTotem, members));
        Assert.Equal(new CpgAddress(1, 11955, CpgReason.Undefined), members[0]);
        Assert.Equal(new CpgAddress(2, 11928, CpgReason.Undefined), members[1]);
    }

    /// <summary>c: node 1 is killed out of {1,2,3}; node 3's downlist is c#233 (old_members 3, left_nodes 1 [1]).</summary>
    [Fact]
    public void DownlistIsByteIdenticalToC233()
    {
        var cluster = new ServiceTestCluster();
        foreach (uint n in new uint[] { 1, 2, 3 })
        {
            cluster.Add(CpgTestHelpers.NewNode(n));
        }

        cluster.Sync([1, 2, 3], _ => [], new MembRingId(1, 13));
        int mark3 = cluster.Nodes[3].Sent.Count;
        cluster.Sync([2, 3], _ => [2, 3], new MembRingId(2, 17));
        byte[] ours = cluster.Nodes[3].Sent[mark3].Message;
        Assert.Equal(CpgDownlistMessage.Size, ours.Length);
        Assert.Equal(Fixture("c", 233), ours);
    }

    /// <summary>e: one 1 MiB message goes out as FIRST (1,047,552 bytes) + LAST (1,024 bytes), like e's pieces.</summary>
    [Fact]
    public void PartialMcastPiecesMatchCaptureE()
    {
        List<CaptureExecMessages.Message> pieces = CaptureExecMessages.Read("e").FindAll(
            m => m.Group == "a" && BitConverter.ToInt32(m.Payload, 0) == 0x00020006);
        Assert.Equal(2, pieces.Count);
        var theirs = new List<CpgPartialMcastMessage>();
        var received = new List<byte>();
        foreach (CaptureExecMessages.Message m in pieces)
        {
            Assert.Equal(WireError.None, CpgPartialMcastMessage.TryRead(m.Payload, false, out CpgPartialMcastMessage p, out ReadOnlySpan<byte> piece));
            theirs.Add(p);
            received.AddRange(piece.ToArray());
        }

        (CpgService cpg, ExecOutbox outbox) = SyncedSingleton(1);
        Assert.Equal(CpgResult.Ok, cpg.Join(FastTotem, theirs[0].Pid, out int handle));
        Take(outbox);
        byte[] message = received.ToArray();
        Assert.Equal(1024 * 1024, message.Length);
        Assert.Equal(SendResult.Ok, cpg.TryMcast(handle, message));
        Assert.Equal(2, outbox.Count);
        for (int i = 0; i < 2; i++)
        {
            byte[] ours = Take(outbox);
            Assert.Equal(WireError.None, CpgPartialMcastMessage.TryRead(ours, false, out CpgPartialMcastMessage p, out ReadOnlySpan<byte> piece));
            Assert.Equal(theirs[i].Header.Id, p.Header.Id);
            Assert.Equal(theirs[i].Header.MessageSize, p.Header.MessageSize);
            Assert.Equal(theirs[i].MsgLen, p.MsgLen);
            Assert.Equal(theirs[i].FragLen, p.FragLen);
            Assert.Equal(theirs[i].Type, p.Type);
            Assert.Equal(theirs[i].Pid, p.Pid);
            Assert.Equal(theirs[i].Source.NodeId, p.Source.NodeId);
            Assert.True(theirs[i].GroupName.Name.SequenceEqual(p.GroupName.Name));
            Assert.True(pieces[i].Payload.AsSpan(CpgPartialMcastMessage.Size).SequenceEqual(piece));
        }

        Assert.Equal(1047552u, theirs[0].FragLen);
        Assert.Equal(CpgPartialMcastMessage.TypeFirst, theirs[0].Type);
        Assert.Equal(1024u, theirs[1].FragLen);
        Assert.Equal(CpgPartialMcastMessage.TypeLast, theirs[1].Type);
    }

    /// <summary>e's two pieces, fed to a receiver that knows the sender's process, come out as one 1 MiB delivery.</summary>
    [Fact]
    public void PartialMcastFromCaptureEReassembles()
    {
        List<CaptureExecMessages.Message> pieces = CaptureExecMessages.Read("e").FindAll(
            m => m.Group == "a" && BitConverter.ToInt32(m.Payload, 0) == 0x00020006);
        CpgPartialMcastMessage.TryRead(pieces[0].Payload, false, out CpgPartialMcastMessage first, out _);

        (CpgService cpg, ExecOutbox outbox) = SyncedSingleton(2);
        Assert.Equal(CpgResult.Ok, cpg.Join(FastTotem, 4242, out _));
        cpg.HandleExec(2, Take(outbox), false);

        byte[] procjoin = new byte[CpgProcJoinMessage.Size];
        CpgProcJoinMessage join = default;
        join.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 0), CpgProcJoinMessage.Size);
        join.GroupName = MarCpgName.Create(FastTotem);
        join.Pid = first.Pid;
        join.Reason = 1;
        join.TryWrite(procjoin);
        cpg.HandleExec(pieces[0].Sender, procjoin, false);
        CpgTestHelpers.Drain(cpg);

        foreach (CaptureExecMessages.Message m in pieces)
        {
            cpg.HandleExec(m.Sender, m.Payload, false);
        }

        List<CpgEventCopy> events = CpgTestHelpers.Drain(cpg);
        CpgEventCopy delivery = Assert.Single(events);
        Assert.Equal(CpgEventKind.Deliver, delivery.Kind);
        Assert.Equal(1024 * 1024, delivery.Data.Length);
        Assert.Equal(first.Pid, delivery.Pid);
        Assert.Equal(pieces[0].Sender, delivery.NodeId);
        Assert.Equal(pieces[0].Payload.AsSpan(CpgPartialMcastMessage.Size).ToArray(), delivery.Data.AsSpan(0, 1047552).ToArray());
        Assert.Equal(pieces[1].Payload.AsSpan(CpgPartialMcastMessage.Size).ToArray(), delivery.Data.AsSpan(1047552).ToArray());
        Assert.Equal(0, cpg.Counters.PartialDrops);
        Assert.Equal("fasttotem", delivery.Group);
    }
}
