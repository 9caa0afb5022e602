using FastTotem.Capture;
using FastTotem.Protocol.Srp;
using FastTotem.Tests.Capture;
using FastTotem.Wire;

namespace FastTotem.Tests.Srp;

/// <summary>
/// Replays of captures f and g, whose ring 1.9 formed before the capture began: the engine is seeded as an idle
/// operational member of 1.9 (CaptureSeed: ring id, members, seq/aru, token_seq, hold state, this_seqno and its
/// last token, all read from the capture) just before the first datagram its node received, then fed that node's
/// datagrams at their captured times. Everything the node sent from then on is compared byte for byte (except
/// target_nodeid), in order, within 10 ms; the one place where our engine differs is asserted as such.
/// </summary>
public partial class SrpCaptureReplayTests
{
    private const string CaptureF = "f-retransmit-recovery";
    private const string CaptureG = "g-node3-graceful-leave";

    /// <summary>Capture f: SIGKILL of node 1 at t = 5.57 s (INDEX.md); its last datagram is frame 878 at 5.377 s.</summary>
    private const long CaptureFNode1KilledNs = 5_570_000_000;

    private static readonly string[] LeaveConfigChanges =
        ["Transitional 1.13 [1,2] left [3] joined []", "Regular 1.13 [1,2] left [] joined []"];

    private static readonly string[] KillConfigChanges =
        ["Transitional 2.13 [2,3] left [1] joined []", "Regular 2.13 [2,3] left [] joined []"];

    private static List<CaptureReplay.Sent> OfType(List<CaptureReplay.Sent> sent, MessageType type) =>
        sent.Where(s => WireView.TypeOf(s.Bytes) == type).ToList();

    private static McastHeader McastOf(byte[] datagram, out byte[] payload)
    {
        Assert.Equal(WireError.None, McastCodec.TryDecode(datagram, out McastHeader header, out ReadOnlySpan<byte> p, out _));
        payload = p.ToArray();
        return header;
    }

    private static OrfToken TokenOf(byte[] datagram, out RtrItem[] rtr)
    {
        rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(datagram, out OrfToken token, rtr));
        rtr = rtr.AsSpan(0, token.RtrListEntries).ToArray();
        return token;
    }

    /// <summary>
    /// Checks the engine's deliveries against the capture's agreed order: every mcast the capture shows of
    /// <paramref name="oldRing"/> above <paramref name="oldAru"/> and then every regular mcast of
    /// <paramref name="newRing"/> (if any) is delivered once, in seq order, attributed to the node in its header, with
    /// the configuration changes <paramref name="configChanges"/> between the two rings.
    /// </summary>
    private static void AssertDeliveriesFollowTheCapture(
        CaptureReplay.Result r, string fixture, MembRingId oldRing, uint oldAru, MembRingId? newRing, string[] configChanges)
    {
        var origin = new Dictionary<(MembRingId, uint), uint>();
        foreach (CapturedDatagram d in CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(fixture)))
        {
            if (d.DestinationPort == 5405 && d.Payload.Length >= McastHeader.Size && d.Payload[3] == (byte)MessageType.Mcast
                && McastCodec.TryDecode(d.Payload, out McastHeader h, out _, out _) == WireError.None && !h.IsEncapsulated)
            {
                origin[(h.RingId, h.Seq)] = h.Header.NodeId;
            }
        }

        var expected = new List<string>();
        void AddRing(MembRingId ring, uint after)
        {
            uint high = origin.Keys.Where(k => k.Item1 == ring).Select(k => k.Item2).DefaultIfEmpty(after).Max();
            for (uint seq = after + 1; seq <= high; seq++)
            {
                Assert.True(origin.ContainsKey((ring, seq)), $"the capture lacks {ring} seq {seq}");
                expected.Add($"deliver {seq} from {origin[(ring, seq)]}");
            }
        }

        AddRing(oldRing, oldAru);
        expected.AddRange(configChanges);
        if (newRing is MembRingId ring)
        {
            // Seqs carried by encapsulated recovery messages are not delivered in the new ring.
            uint firstRegular = origin.Keys.Where(k => k.Item1 == ring).Min(k => k.Item2);
            AddRing(ring, firstRegular - 1);
        }

        Assert.Equal(expected, r.Events);
    }

    /// <summary>
    /// Capture g, node 1 (the rep of 1.9 and of the new ring): it holds the idle token, sends merge_detect every
    /// 200 ms after a token visit, gets node 3's LEAVE, answers with its join (proc [1,2,3], failed [3]), creates the
    /// commit token of ring 1.13 for {1,2} once node 2 agrees, sends the initial token, runs the RECOVERY rotations
    /// and the sync round and then holds the idle token of 1.13.
    /// <para>
    /// One named difference, a timer race: node 1 last saw the token of 1.9 (frame 8) 303 ms (the hold period) before
    /// node 2's commit token (frame 20) reached it, so its token-hold retransmit timer fell due just after frame 20
    /// arrived. corosync answered frame 20 only 1 ms later (frame 21), so the timer fired while it was still in COMMIT,
    /// where token_hold_retransmit does nothing. We handle frame 20 the moment it arrives, are in RECOVERY when the
    /// timer fires, and there (as corosync would: timer_function_token_hold_retransmit_timeout retransmits in
    /// RECOVERY) re-send our last token, the commit token of frame 21, once more. Node 2, in RECOVERY and not the rep,
    /// ignores the copy. The test asserts exactly that one extra datagram, then everything else identical; the next
    /// test shows that with corosync's 1 ms delay reproduced the extra datagram disappears.
    /// </para>
    /// </summary>
    [Fact]
    public void ReplayCaptureG_Node1_SeededRep_SeesLeaveAndFormsTheNewRing()
    {
        var r = CaptureReplay.RunSeeded(CaptureG, 1, [1, 2, 3], 1000, long.MaxValue);

        // Frame 1, its hold re-send of the token before the first datagram it received (frame 3), is not compared.
        Assert.Equal([1], r.NotCompared);
        Assert.True(r.Captured.Count > 70, $"{r.Captured.Count} captured");

        // The race, from the capture: hold timer due (frame 8 + 303 ms) after frame 20 arrived, before frame 21 left.
        IReadOnlyList<CapturedDatagram> all = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(CaptureG));
        long t0 = all[0].TimestampNs;
        long Frame(int n) => all.First(d => d.Frame == n).TimestampNs - t0;
        long holdDue = Frame(8) + r.Engine.Config.HoldMs * 1_000_000L;
        Assert.InRange(holdDue, Frame(20), Frame(21));

        // Our one extra datagram: a second copy of the commit token we sent just before it, when the hold timer fired.
        var extra = Enumerable.Range(1, r.Produced.Count - 1)
            .Where(i => r.Produced[i].Bytes.AsSpan().SequenceEqual(r.Produced[i - 1].Bytes)
                && WireView.TypeOf(r.Produced[i].Bytes) == MessageType.MembCommitToken)
            .ToList();
        Assert.Single(extra);
        Assert.Equal(holdDue, r.Produced[extra[0]].AtNs);
        Assert.DoesNotContain(Enumerable.Range(1, r.Captured.Count - 1),
            i => r.Captured[i].Bytes.AsSpan().SequenceEqual(r.Captured[i - 1].Bytes));
        r.Produced.RemoveAt(extra[0]);

        AssertIdentical(r, 10);

        // What was compared includes the new ring's formation.
        var commits = OfType(r.Produced, MessageType.MembCommitToken);
        Assert.Equal(2, commits.Count);
        Assert.Equal(new MembRingId(1, 13), r.Engine.RingId);
        Assert.Equal([1u, 2u], r.Engine.Members.ToArray());
        Assert.Single(OfType(r.Produced, MessageType.MembJoin));
        AssertDeliveriesFollowTheCapture(r, CaptureG, new MembRingId(1, 9), 21, new MembRingId(1, 13), LeaveConfigChanges);
    }

    /// <summary>
    /// The race above is the whole difference: hand node 2's commit token (frame 20) to the engine when corosync acted
    /// on it (0.1 ms before it sent frame 21) instead of when it arrived, so the hold timer fires in COMMIT as it did
    /// in corosync, and everything node 1 sent is identical with nothing removed.
    /// </summary>
    [Fact]
    public void ReplayCaptureG_Node1_Seeded_WithCorosyncsProcessingDelay_IsIdentical()
    {
        IReadOnlyList<CapturedDatagram> all = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(CaptureG));
        long frame21 = all.First(d => d.Frame == 21).TimestampNs - all[0].TimestampNs;
        var r = CaptureReplay.RunSeeded(CaptureG, 1, [1, 2, 3], 1000, long.MaxValue, handleFrameAtNs: (20, frame21 - 100_000));
        Assert.Equal([1], r.NotCompared);
        AssertIdentical(r, 10);
        AssertDeliveriesFollowTheCapture(r, CaptureG, new MembRingId(1, 9), 21, new MembRingId(1, 13), LeaveConfigChanges);
    }

    /// <summary>
    /// Capture g, node 2 (a survivor that is not the rep): it forwards the idle token, gets the LEAVE, sends its join,
    /// fills in its commit-token entry and closes the second lap, takes part in RECOVERY and the sync round of 1.13.
    /// No difference.
    /// </summary>
    [Fact]
    public void ReplayCaptureG_Node2_Seeded_SeesLeaveAndJoinsTheNewRing()
    {
        var r = CaptureReplay.RunSeeded(CaptureG, 2, [1, 2, 3], 1000, long.MaxValue);
        Assert.Empty(r.NotCompared);
        Assert.True(r.Captured.Count > 60, $"{r.Captured.Count} captured");
        AssertIdentical(r, 10);
        Assert.Equal(2, OfType(r.Produced, MessageType.MembCommitToken).Count);
        Assert.Equal(new MembRingId(1, 13), r.Engine.RingId);
        AssertDeliveriesFollowTheCapture(r, CaptureG, new MembRingId(1, 9), 21, new MembRingId(1, 13), LeaveConfigChanges);
    }

    /// <summary>
    /// Capture g, node 3 (the one that leaves): it forwards two idle tokens, then gets SIGTERM. The capture shows
    /// the signal only through its effect, so the replay calls Leave 0.1 ms before the captured LEAVE (frame 11):
    /// a join with header nodeid 0, proc [1,2], failed [3], ring_seq 9, byte-identical. No difference.
    /// </summary>
    [Fact]
    public void ReplayCaptureG_Node3_Seeded_SendsTheLeave()
    {
        IReadOnlyList<CapturedDatagram> all = CaptureFile.ReadUdpDatagrams(CaptureFixtures.PcapPath(CaptureG));
        CapturedDatagram leave = all.First(d => d.Payload.Length > 13 && d.Payload[3] == (byte)MessageType.MembJoin
            && d.Source.GetAddressBytes()[3] == 3);
        Assert.Equal(0u, BitConverter.ToUInt32(leave.Payload, 5));
        long leaveAt = leave.TimestampNs - all[0].TimestampNs - 100_000;

        var r = CaptureReplay.RunSeeded(CaptureG, 3, [1, 2, 3], 1000, long.MaxValue, leaveAtNs: leaveAt);
        Assert.Empty(r.NotCompared);
        AssertIdentical(r, 10);
        Assert.Equal(MessageType.MembJoin, WireView.TypeOf(r.Produced[^1].Bytes));
        Assert.Equal(0u, BitConverter.ToUInt32(r.Produced[^1].Bytes, 5));
        Assert.False(r.Engine.IsRunning);
    }

    /// <summary>
    /// Capture f, node 2: the node that originates the CPG messages whose copies to node 3 the tc filter drops, and
    /// after node 1 (the rep) is killed the rep of the new ring 2.13 that recovers node 3. Compared: its
    /// token_hold_cancel, its mcasts of seq 22..27 (this_seqno from the seed onwards), every token with node 3's
    /// aru 21..24 and rtr lists passing through, the token re-sends after the kill, 1.65 s of joins, the joins with
    /// failed [1], the commit token of 2.13 (node 3: aru 24, received_flg 0), the initial token with retrans_flg 1,
    /// the encapsulated re-sends of seq 25..27, RECOVERY, the sync round and the idle ring. No difference.
    /// </summary>
    [Fact]
    public void ReplayCaptureF_Node2_Seeded_RecoversNode3WithEncapsulatedMessages()
    {
        var r = CaptureReplay.RunSeeded(CaptureF, 2, [1, 2, 3], 1000, long.MaxValue);
        Assert.Empty(r.NotCompared);
        Assert.True(r.Captured.Count > 400, $"{r.Captured.Count} captured");
        AssertIdentical(r, 10);

        // The encapsulated recovery: new-ring seqs 1..3 carry old-ring seqs 25..27 exactly as node 2 first sent them.
        var encapsulated = OfType(r.Produced, MessageType.Mcast).Where(s => McastOf(s.Bytes, out _).IsEncapsulated).ToList();
        Assert.Equal(3, encapsulated.Count);
        for (int i = 0; i < 3; i++)
        {
            McastHeader outer = McastOf(encapsulated[i].Bytes, out byte[] inner);
            Assert.Equal(new MembRingId(2, 13), outer.RingId);
            Assert.Equal((uint)(i + 1), outer.Seq);
            McastHeader old = McastOf(inner, out _);
            Assert.Equal(new MembRingId(1, 9), old.RingId);
            Assert.Equal((uint)(25 + i), old.Seq);
            byte[] original = r.Produced.First(s => WireView.TypeOf(s.Bytes) == MessageType.Mcast
                && McastOf(s.Bytes, out _) is { IsEncapsulated: false, Seq: var q, RingId: var ring } && q == 25 + i && ring == old.RingId).Bytes;
            Assert.Equal(original, inner);
        }

        var commitLap1 = OfType(r.Produced, MessageType.MembCommitToken)[0];
        var entries = new MembCommitTokenMembEntry[384];
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryDecode(commitLap1.Bytes, out MembCommitToken ct, new uint[384], entries));
        Assert.Equal(new MembRingId(2, 13), ct.RingId);
        var initial = OfType(r.Produced, MessageType.OrfToken).First(s => TokenOf(s.Bytes, out _).RingId == ct.RingId);
        Assert.Equal(1, TokenOf(initial.Bytes, out _).RetransFlg);
        Assert.Equal(new MembRingId(2, 13), r.Engine.RingId);
        Assert.Equal([2u, 3u], r.Engine.Members.ToArray());
        AssertDeliveriesFollowTheCapture(r, CaptureF, new MembRingId(1, 9), 21, new MembRingId(2, 13), KillConfigChanges);
    }

    /// <summary>
    /// Capture f, node 1 (the rep of 1.9), until its SIGKILL: it answers node 3's rtr_list requests by re-multicasting
    /// node 2's messages (header nodeid 2, sent from node 1), removes the entries it served from the token, and holds
    /// the idle token. Only its copies to node 2 are compared (those to node 3 of seq 25..27 were dropped by the
    /// filter and are not in the capture). No difference.
    /// </summary>
    [Fact]
    public void ReplayCaptureF_Node1_Seeded_RetransmitsOnRequest()
    {
        var r = CaptureReplay.RunSeeded(CaptureF, 1, [1, 2, 3], 1000, CaptureFNode1KilledNs);

        // Frame 1 (merge_detect; frame 2 is its copy to node 3, never compared) and frame 3 (a hold re-send of the
        // token), sent before the first datagram node 1 received (frame 5), are not compared.
        Assert.Equal([1, 3], r.NotCompared);
        Assert.True(r.Captured.Count > 200, $"{r.Captured.Count} captured");
        AssertIdentical(r, 10);

        var retransmits = OfType(r.Produced, MessageType.Mcast).Select(s => McastOf(s.Bytes, out _)).ToList();
        Assert.NotEmpty(retransmits);
        Assert.All(retransmits, h => Assert.Equal(2u, h.Header.NodeId));
        Assert.Equal([22u, 23u, 24u, 25u, 26u, 27u], retransmits.Select(h => h.Seq).Distinct().Order().ToArray());
        AssertDeliveriesFollowTheCapture(r, CaptureF, new MembRingId(1, 9), 21, null, []);
    }

    /// <summary>
    /// Capture f, node 3 (the one that misses messages): it holds the ring's aru back (aru_addr 3), puts the seqs it
    /// misses in the token's rtr_list after miss_count_const visits, and after the kill gets old-ring messages 25..27
    /// through the encapsulated recovery of ring 2.13 (entry aru 24, received_flg 0). No difference.
    /// </summary>
    [Fact]
    public void ReplayCaptureF_Node3_Seeded_RequestsRetransmissionsAndIsRecovered()
    {
        var r = CaptureReplay.RunSeeded(CaptureF, 3, [1, 2, 3], 1000, long.MaxValue);
        Assert.Empty(r.NotCompared);
        Assert.True(r.Captured.Count > 300, $"{r.Captured.Count} captured");
        AssertIdentical(r, 10);

        var requests = OfType(r.Produced, MessageType.OrfToken).Select(s => TokenOf(s.Bytes, out RtrItem[] rtr) is var t ? (t, rtr) : default)
            .Where(x => x.rtr.Length > 0).ToList();
        Assert.NotEmpty(requests);
        Assert.Equal([22u, 23u, 24u, 25u, 26u, 27u], requests.SelectMany(x => x.rtr).Select(i => i.Seq).Distinct().Order().ToArray());
        Assert.All(requests, x => Assert.Equal(3u, x.t.AruAddr));

        var entries = new MembCommitTokenMembEntry[384];
        var commit = OfType(r.Produced, MessageType.MembCommitToken)[0];
        Assert.Equal(WireError.None, MembCommitTokenCodec.TryDecode(commit.Bytes, out MembCommitToken ct, new uint[384], entries));
        Assert.Equal(24u, entries[1].Aru);
        Assert.Equal(0u, entries[1].ReceivedFlg);
        Assert.Equal(new MembRingId(2, 13), r.Engine.RingId);

        // Old-ring seqs 25..27 reach node 3 only inside the recovery messages, and are delivered before the
        // transitional configuration, like every other old-ring message (virtual synchrony).
        AssertDeliveriesFollowTheCapture(r, CaptureF, new MembRingId(1, 9), 21, new MembRingId(2, 13), KillConfigChanges);
    }
}
