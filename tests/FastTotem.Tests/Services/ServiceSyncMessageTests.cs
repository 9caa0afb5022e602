using FastTotem.Protocol.Services;
using FastTotem.Wire;

namespace FastTotem.Tests.Services;

/// <summary>cmap, quorum and votequorum sync messages against the golden captures.</summary>
public class ServiceSyncMessageTests
{
    private static ServiceTestCluster.Node NewNode(uint nodeId, uint[] nodelist)
    {
        var outbox = new ExecOutbox(64 * 1024, 64);
        var cmap = new CmapSyncService(outbox);
        var quorum = new QuorumSyncService();
        var votes = new uint[nodelist.Length];
        Array.Fill(votes, 1u);
        var vq = new VotequorumService(outbox, VotequorumConfig.FromNodelist(nodeId, nodelist, votes));
        var handlers = new IExecHandler?[8];
        handlers[0] = cmap;
        handlers[5] = vq;
        return new ServiceTestCluster.Node(nodeId, outbox, [cmap, quorum, vq], handlers);
    }

    private static VotequorumService Vq(ServiceTestCluster.Node node) => (VotequorumService)node.Handlers[5]!;

    private static byte[] Fixture(string fixture, int frame, int index)
    {
        List<CaptureExecMessages.Message> messages = CaptureExecMessages.AtFrame(fixture, frame);
        Assert.True(messages.Count > index, $"{fixture}#{frame} has {messages.Count} messages");
        Assert.Equal("a", messages[index].Group);
        return messages[index].Payload;
    }

    [Fact]
    public void CmapSyncMessageIsByteIdenticalToA7()
    {
        var outbox = new ExecOutbox(64 * 1024, 64);
        var cmap = new CmapSyncService(outbox);
        Assert.Equal(328, cmap.SyncMessageLength);
        cmap.SyncInit([1], [1], new MembRingId(1, 5));
        Assert.False(cmap.SyncProcess());
        Assert.False(cmap.SyncProcess());
        Assert.Equal(1, outbox.Count);
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> message));
        Assert.Equal(Fixture("a", 7, 0), message.ToArray());
        outbox.Dequeue();
        Assert.True(cmap.SyncProcess());
    }

    [Fact]
    public void CmapWithConfigVersionSendsUInt64Item()
    {
        var outbox = new ExecOutbox(64 * 1024, 64);
        var sender = new CmapSyncService(outbox, configVersion: 7);
        Assert.Equal(336, sender.SyncMessageLength);
        sender.SyncInit([], [1], new MembRingId(1, 5));
        sender.SyncProcess();
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> message));
        var receiver = new CmapSyncService(new ExecOutbox(64 * 1024, 64));
        receiver.HandleExec(1, message, false);
        Assert.Equal(1, receiver.ReceivedMessages);
        Assert.Equal(0, receiver.MalformedDrops);
        Assert.Equal(7ul, receiver.HighestReceivedConfigVersion);
    }

    [Fact]
    public void CmapMessagesOfEveryCaptureAreAccepted()
    {
        var cmap = new CmapSyncService(new ExecOutbox(64 * 1024, 64));
        int expected = 0;
        foreach (string fixture in new[] { "a", "b", "c", "d", "g" })
        {
            foreach (CaptureExecMessages.Message m in CaptureExecMessages.Read(fixture))
            {
                if (m.Group == "a" && BitConverter.ToInt32(m.Payload, 0) == 0)
                {
                    cmap.HandleExec(m.Sender, m.Payload, false);
                    expected++;
                }
            }
        }

        Assert.True(expected >= 10, $"only {expected} cmap messages found");
        Assert.Equal(expected, cmap.ReceivedMessages);
        Assert.Equal(0, cmap.MalformedDrops);
    }

    [Fact]
    public void MalformedCmapMessagesAreCountedDrops()
    {
        var cmap = new CmapSyncService(new ExecOutbox(64 * 1024, 64));
        byte[] good = new byte[328];
        cmap.WriteSyncMessage(good);

        cmap.HandleExec(2, good.AsSpan(0, 40), false);          // shorter than the head
        cmap.HandleExec(2, good.AsSpan(0, 300), false);         // item cut short
        byte[] badKey = (byte[])good.Clone();
        badKey[48] = 0xff;
        badKey[49] = 0x01;                                       // key length 511 > 255
        cmap.HandleExec(2, badKey, false);
        byte[] badValue = (byte[])good.Clone();
        badValue[48 + 272] = 0x40;                               // value_len 64 beyond the message
        cmap.HandleExec(2, badValue, false);
        byte[] badFunction = (byte[])good.Clone();
        badFunction[0] = 1;
        cmap.HandleExec(2, badFunction, false);

        Assert.Equal(5, cmap.MalformedDrops);
        Assert.Equal(0, cmap.ReceivedMessages);
        cmap.HandleExec(2, good, false);
        Assert.Equal(1, cmap.ReceivedMessages);
    }

    [Fact]
    public void QuorumServiceSendsNothingAndIsDoneAtOnce()
    {
        var quorum = new QuorumSyncService();
        quorum.SyncInit([1], [1, 2], new MembRingId(1, 9));
        Assert.True(quorum.SyncProcess());
        Assert.Equal(new MembRingId(1, 9), quorum.RingId);
        Assert.Equal(3, quorum.ServiceId);
    }

    /// <summary>Capture a: node 1 alone, then node 2 alone, then the 2-node ring 1.9 (nodelist of two).</summary>
    [Fact]
    public void VotequorumReproducesCaptureA()
    {
        uint[] nodelist = [1, 2];
        var cluster = new ServiceTestCluster();
        cluster.Add(NewNode(1, nodelist));
        cluster.Add(NewNode(2, nodelist));

        Assert.True(Vq(cluster.Nodes[1]).Start());
        cluster.Flush(1, [1], "start");
        Assert.Equal(Fixture("a", 3, 0), cluster.Nodes[1].Sent[0].Message);

        cluster.Sync([1], [], new MembRingId(1, 5));
        List<(string Round, byte[] Message)> sent1 = cluster.Nodes[1].Sent;
        Assert.Equal(Fixture("a", 7, 0), sent1[1].Message);
        Assert.Equal(Fixture("a", 15, 0), sent1[2].Message);
        Assert.Equal(Fixture("a", 15, 1), sent1[3].Message);
        Assert.False(Vq(cluster.Nodes[1]).Quorate);

        Assert.True(Vq(cluster.Nodes[2]).Start());
        cluster.Flush(2, [2], "start");
        cluster.Sync([2], [], new MembRingId(2, 5));
        List<(string Round, byte[] Message)> sent2 = cluster.Nodes[2].Sent;
        Assert.Equal(Fixture("a", 26, 0), sent2[0].Message);
        Assert.Equal(Fixture("a", 33, 0), sent2[2].Message);
        Assert.Equal(Fixture("a", 33, 1), sent2[3].Message);

        cluster.Sync([1, 2], [], new MembRingId(1, 9));
        Assert.Equal(Fixture("a", 75, 0), sent1[5].Message);
        Assert.Equal(Fixture("a", 75, 1), sent1[6].Message);
        Assert.Equal(Fixture("a", 73, 0), sent2[5].Message);
        Assert.Equal(Fixture("a", 73, 1), sent2[6].Message);

        foreach (uint n in nodelist)
        {
            VotequorumStatus status = Vq(cluster.Nodes[n]).GetStatus();
            Assert.True(status.Quorate);
            Assert.Equal(2u, status.TotalVotes);
            Assert.Equal(2u, status.Quorum);
            Assert.Equal(2u, status.ExpectedVotes);
            Assert.Equal(2, status.MemberCount);
            Assert.Equal(VotequorumNodeInfoMessage.FlagQuorate, status.Flags);
        }
    }

    /// <summary>Captures b then c: {1,2} quorate of 3, node 3 joins (b#121/#124/#127), then node 1 dies (c#253/#256).</summary>
    [Fact]
    public void VotequorumReproducesCapturesBAndC()
    {
        uint[] nodelist = [1, 2, 3];
        var cluster = new ServiceTestCluster();
        foreach (uint n in nodelist)
        {
            cluster.Add(NewNode(n, nodelist));
        }

        foreach (uint n in new uint[] { 1, 2 })
        {
            Vq(cluster.Nodes[n]).Start();
            cluster.Flush(n, [n], "start");
            cluster.Sync([n], [], new MembRingId(n, 5));
        }

        cluster.Sync([1, 2], [], new MembRingId(1, 9));
        Assert.True(Vq(cluster.Nodes[1]).Quorate);
        Assert.Equal(2u, Vq(cluster.Nodes[1]).GetStatus().Quorum);

        Vq(cluster.Nodes[3]).Start();
        cluster.Flush(3, [3], "start");
        Assert.Equal(Fixture("b", 24, 0), cluster.Nodes[3].Sent[0].Message);
        cluster.Sync([3], [], new MembRingId(3, 5));
        Assert.Equal(Fixture("b", 38, 0), cluster.Nodes[3].Sent[2].Message);
        Assert.Equal(Fixture("b", 38, 1), cluster.Nodes[3].Sent[3].Message);

        int mark1 = cluster.Nodes[1].Sent.Count, mark2 = cluster.Nodes[2].Sent.Count, mark3 = cluster.Nodes[3].Sent.Count;
        cluster.Sync([1, 2, 3], [1, 2], new MembRingId(1, 13));
        Assert.Equal(Fixture("b", 121, 0), cluster.Nodes[1].Sent[mark1 + 1].Message);
        Assert.Equal(Fixture("b", 121, 1), cluster.Nodes[1].Sent[mark1 + 2].Message);
        Assert.Equal(Fixture("b", 124, 0), cluster.Nodes[2].Sent[mark2 + 1].Message);
        Assert.Equal(Fixture("b", 127, 0), cluster.Nodes[3].Sent[mark3 + 1].Message);
        Assert.Equal(Fixture("b", 127, 1), cluster.Nodes[3].Sent[mark3 + 2].Message);
        foreach (uint n in nodelist)
        {
            VotequorumStatus status = Vq(cluster.Nodes[n]).GetStatus();
            Assert.True(status.Quorate, $"node {n}");
            Assert.Equal(3u, status.TotalVotes);
            Assert.Equal(2u, status.Quorum);
        }

        // c: node 1 is killed; {2,3} re-form and stay quorate with 2 of 3 votes.
        mark2 = cluster.Nodes[2].Sent.Count;
        mark3 = cluster.Nodes[3].Sent.Count;
        cluster.Sync([2, 3], [2, 3], new MembRingId(2, 17));
        Assert.Equal(Fixture("c", 253, 0), cluster.Nodes[3].Sent[mark3 + 1].Message);
        Assert.Equal(Fixture("c", 253, 1), cluster.Nodes[3].Sent[mark3 + 2].Message);
        Assert.Equal(Fixture("c", 256, 0), cluster.Nodes[2].Sent[mark2 + 1].Message);
        VotequorumStatus after = Vq(cluster.Nodes[2]).GetStatus();
        Assert.True(after.Quorate);
        Assert.Equal(2u, after.TotalVotes);
        Assert.Equal(3u, after.ExpectedVotes);
        Assert.True(Vq(cluster.Nodes[2]).TryGetNode(1, out _, out _, out _, out VotequorumNodeState state1));
        Assert.Equal(VotequorumNodeState.Dead, state1);
    }

    /// <summary>Capture g: node 3 leaves {1,2,3} gracefully; nodes 2 and 1 send g#78 and g#81 and stay quorate.</summary>
    [Fact]
    public void VotequorumReproducesCaptureG()
    {
        uint[] nodelist = [1, 2, 3];
        var cluster = new ServiceTestCluster();
        foreach (uint n in nodelist)
        {
            cluster.Add(NewNode(n, nodelist));
            Vq(cluster.Nodes[n]).Start();
            cluster.Flush(n, [n], "start");
            cluster.Sync([n], [], new MembRingId(n, 5));
        }

        cluster.Sync([1, 2, 3], n => [n], new MembRingId(1, 9));
        int mark1 = cluster.Nodes[1].Sent.Count, mark2 = cluster.Nodes[2].Sent.Count;
        cluster.Sync([1, 2], [1, 2], new MembRingId(1, 13));
        Assert.Equal(Fixture("g", 78, 0), cluster.Nodes[2].Sent[mark2 + 1].Message);
        Assert.Equal(Fixture("g", 78, 1), cluster.Nodes[2].Sent[mark2 + 2].Message);
        Assert.Equal(Fixture("g", 81, 0), cluster.Nodes[1].Sent[mark1 + 1].Message);
        Assert.Equal(Fixture("g", 81, 1), cluster.Nodes[1].Sent[mark1 + 2].Message);
        Assert.True(Vq(cluster.Nodes[1]).Quorate);
        Assert.Equal(2u, Vq(cluster.Nodes[1]).GetStatus().TotalVotes);
    }

    [Fact]
    public void DispatcherRoutesByServiceIdAndCountsTheRest()
    {
        var outbox = new ExecOutbox(64 * 1024, 64);
        var cmap = new CmapSyncService(outbox);
        var vq = new VotequorumService(outbox, VotequorumConfig.FromNodelist(1, [1, 2], [1, 1]));
        var dispatcher = new ServiceDispatcher();
        dispatcher.Register(0, cmap);
        dispatcher.Register(5, vq);
        Assert.Throws<InvalidOperationException>(() => dispatcher.Register(5, vq));
        Assert.Throws<ArgumentOutOfRangeException>(() => dispatcher.Register(64, vq));

        byte[] sync = new byte[cmap.SyncMessageLength];
        cmap.WriteSyncMessage(sync);
        dispatcher.OnGroupMessage(2, sync, false);
        byte[] info = new byte[32];
        VotequorumNodeInfoMessage.Create(2, 1, 2, 0).TryWrite(info);
        dispatcher.OnGroupMessage(2, info, false);
        Assert.Equal(1, cmap.ReceivedMessages);
        Assert.Equal(1, vq.ReceivedNodeInfo);

        byte[] cfg = (byte[])info.Clone();
        cfg[2] = 1;                                   // service 1 (cfg): not ours
        dispatcher.OnGroupMessage(2, cfg, false);
        byte[] huge = (byte[])info.Clone();
        huge[2] = 0x40;                               // service 64: past corosync's table
        dispatcher.OnGroupMessage(2, huge, false);
        dispatcher.OnGroupMessage(2, info.AsSpan(0, 8), false);
        Assert.Equal(2, dispatcher.UnknownServiceDrops);
        Assert.Equal(1, dispatcher.MalformedDrops);
    }

    [Fact]
    public void VotequorumLosesQuorumWhenAMajorityLeaves()
    {
        uint[] nodelist = [1, 2, 3];
        var cluster = new ServiceTestCluster();
        foreach (uint n in nodelist)
        {
            cluster.Add(NewNode(n, nodelist));
            Vq(cluster.Nodes[n]).Start();
            cluster.Flush(n, [n], "start");
        }

        cluster.Sync([1, 2, 3], [], new MembRingId(1, 9));
        Assert.True(Vq(cluster.Nodes[1]).Quorate);
        cluster.Sync([1], [1], new MembRingId(1, 13));
        VotequorumStatus status = Vq(cluster.Nodes[1]).GetStatus();
        Assert.False(status.Quorate);
        Assert.Equal(1u, status.TotalVotes);
        Assert.Equal(2u, status.Quorum);
        Assert.Equal(0u, status.Flags & VotequorumNodeInfoMessage.FlagQuorate);
    }

    [Fact]
    public void VotequorumExpectedVotesFollowConfiguration()
    {
        var weighted = VotequorumConfig.FromNodelist(1, [1, 2, 3], [2, 1, 1]);
        Assert.Equal(2u, weighted.NodeVotes);
        Assert.Equal(4u, weighted.ExpectedVotes);
        var overridden = VotequorumConfig.FromNodelist(1, [1, 2], [1, 1], quorumExpectedVotes: 5);
        Assert.Equal(5u, overridden.ExpectedVotes);

        var outbox = new ExecOutbox(64 * 1024, 64);
        var vq = new VotequorumService(outbox, weighted);
        Assert.True(vq.Start());
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> message));
        Assert.Equal(WireError.None, VotequorumNodeInfoMessage.TryRead(message, false, out VotequorumNodeInfoMessage info));
        Assert.Equal(1u, info.NodeId);
        Assert.Equal(2u, info.Votes);
        Assert.Equal(4u, info.ExpectedVotes);
        Assert.Equal(VotequorumNodeInfoMessage.FlagFirst, info.Flags);

        var twoNode = new VotequorumService(new ExecOutbox(64 * 1024, 64), VotequorumConfig.FromNodelist(1, [1, 2], [1, 1], twoNode: true));
        Assert.Equal(VotequorumNodeInfoMessage.FlagFirst | VotequorumNodeInfoMessage.FlagWaitForAll, twoNode.OwnFlags);
        Assert.False(twoNode.Quorate);
    }

    [Fact]
    public void MalformedVotequorumMessagesAreCountedDrops()
    {
        var vq = new VotequorumService(new ExecOutbox(64 * 1024, 64), VotequorumConfig.FromNodelist(1, [1, 2], [1, 1]));
        byte[] info = new byte[32];
        VotequorumNodeInfoMessage.Create(2, 1, 2, 0).TryWrite(info);
        vq.HandleExec(2, info.AsSpan(0, 20), false);                 // truncated
        byte[] unknown = (byte[])info.Clone();
        unknown[0] = 9;                                              // fn 9
        vq.HandleExec(2, unknown, false);
        byte[] qdevice = new byte[32];
        VotequorumNodeInfoMessage.Create(0, 0, 0, 0).TryWrite(qdevice);
        vq.HandleExec(7, qdevice, false);                            // qdevice slot from a node never seen
        Assert.Equal(3, vq.MalformedDrops);
        Assert.Equal(0, vq.ReceivedNodeInfo);

        vq.HandleExec(2, info, false);
        Assert.Equal(1, vq.ReceivedNodeInfo);
        Assert.True(vq.TryGetNode(2, out uint votes, out _, out _, out VotequorumNodeState state));
        Assert.Equal(1u, votes);
        Assert.Equal(VotequorumNodeState.Member, state);
    }
}

public class VotequorumHostileInputTests
{
    /// <summary>
    /// docs/robustness.md, findings S3 and D8: a nodeinfo is believed only from the node it describes (the mcast's originator; the
    /// qdevice slot, nodeid 0, from any node already known), and only for a nodelist id: a member could otherwise
    /// spoof another's votes or a QUORATE expected_votes, and fake nodeids filled the 385-entry table.
    /// </summary>
    [Fact]
    public void NodeInfoIsBelievedOnlyFromTheNodeItDescribes()
    {
        var outbox = new ExecOutbox(64 * 1024, 64);
        var vq = new VotequorumService(outbox, VotequorumConfig.FromNodelist(1, [1, 2, 3], [1, 1, 1]));
        byte[] info = new byte[32];
        VotequorumNodeInfoMessage.Create(2, 7, 1, VotequorumNodeInfoMessage.FlagQuorate).TryWrite(info);
        vq.HandleExec(3, info, false);
        Assert.Equal(0, vq.ReceivedNodeInfo);
        Assert.Equal(1, vq.MisattributedDrops);

        for (uint fake = 100; fake < 600; fake++)
        {
            VotequorumNodeInfoMessage.Create(fake, 1, 3, 0).TryWrite(info);
            vq.HandleExec(fake, info, false);
        }

        Assert.Equal(500, vq.UnlistedDrops);
        Assert.Equal(0, vq.TableFullDrops);
        VotequorumNodeInfoMessage.Create(2, 1, 3, 0).TryWrite(info);
        vq.HandleExec(2, info, false);
        Assert.Equal(1, vq.ReceivedNodeInfo);
        Assert.True(vq.TryGetNode(2, out uint votes, out _, out _, out _));
        Assert.Equal(1u, votes);
    }
}
