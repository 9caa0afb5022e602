using FastTotem.Protocol.Srp;
using FastTotem.Wire;
using static FastTotem.Tests.Srp.RingHarness;

namespace FastTotem.Tests.Srp;

/// <summary>
/// Forged datagrams built from a live in-memory ring's state (docs/robustness.md). Node 4 of a four-node nodelist
/// never runs: its address is where the attacker sits, so what it sends in its own name passes identity binding.
/// Every attack ends with the three real members operational together again and nothing thrown.
/// </summary>
public class SrpHostileInputTests
{
    private const uint Attacker = 4;

    private static RingHarness FormedRing()
    {
        var h = new RingHarness(4);
        for (int i = 0; i < 3; i++)
        {
            h.Start(i);
        }

        h.RunFor(Ms(8000));
        Assert.True(h.AllOperationalWith(0, 1, 2), "the three real members formed no ring");
        return h;
    }

    private static void AssertReforms(RingHarness h, string what)
    {
        h.RunFor(Ms(15000));
        Assert.True(h.AllOperationalWith(0, 1, 2), $"{what}: the ring of 1, 2 and 3 did not re-form");
    }

    /// <summary>
    /// docs/robustness.md, finding C1: a victim in COMMIT takes a second-lap commit token whose addr list is not the one it accepted
    /// (384 members where it accepted 4); RecoveryEnter indexed the shorter list and threw.
    /// </summary>
    [Fact]
    public void ForgedSecondLapCommitTokenWithMoreMembersIsDropped()
    {
        RingHarness h = FormedRing();
        ulong seq = h.Engines[1].RingId.Seq;

        // The attacker announces itself; the victim (node 2) gathers with proc {1,2,3,4}.
        h.Inject(1, Forge.MergeDetect(Attacker, Attacker, new MembRingId(Attacker, 1)), Attacker);
        Assert.Equal(SrpState.Gather, h.Engines[1].State);

        // A first-lap commit token for {1,4,2,3} reaching node 2 from node 4: the victim enters COMMIT.
        h.Inject(1, Forge.Commit(Attacker, 1, new MembRingId(1, seq + 100), 2, [1, 4, 2, 3]), Attacker);
        Assert.Equal(SrpState.Commit, h.Engines[1].State);

        // The second lap with 384 members.
        uint[] addr = Enumerable.Range(1, 384).Select(i => (uint)i).ToArray();
        var entries = new MembCommitTokenMembEntry[384];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i].ReceivedFlg = 1;
        }

        h.Inject(1, Forge.Commit(Attacker, 2, new MembRingId(1, seq + 100), 384, addr, entries), Attacker);
        Assert.NotEqual(SrpState.Recovery, h.Engines[1].State);
        AssertReforms(h, "forged second-lap commit token");
    }

    /// <summary>
    /// A token for our ring, fresh, in the name of the victim's predecessor (source address spoofed), whose seq is
    /// 100,000 ahead of anything the ring can have sent. Forwarded, it makes the next corosync daemon abort
    /// (orf_token_rtr's range assert): it must be dropped and counted, never relayed.
    /// </summary>
    [Fact]
    public void TokenWithImpossibleSeqIsDroppedNotForwarded()
    {
        RingHarness h = FormedRing();
        h.Wire = [];
        h.Multicast(0, Forge.EmptyPg);
        h.RunFor(Ms(20));
        byte[] last = h.Wire.Last(w => w.To == 2 && WireView.TypeOf(w.Bytes) == MessageType.OrfToken).Bytes;
        var rtr = new RtrItem[30];
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(last, out OrfToken seen, rtr));

        uint poison = seen.Seq + 100_000;
        h.Wire.Clear();
        h.Inject(1, Forge.Token(1, seen.RingId, poison, seen.TokenSeq + 1, seen.Aru, 0), 1);
        h.RunFor(Ms(500));
        foreach ((long _, uint from, uint _, byte[] bytes) in h.Wire)
        {
            if (WireView.TypeOf(bytes) == MessageType.OrfToken)
            {
                Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(bytes, out OrfToken t, rtr));
                Assert.True(SeqMath.Lt(t.Seq, poison - 50_000), $"node {from} relayed a token with seq {t.Seq}");
            }
        }

        Assert.True(h.Engines[1].Counters.DropImpossibleToken > 0);
        AssertReforms(h, "token 100,000 ahead");
    }

    /// <summary>
    /// docs/robustness.md, finding D1: a join whose ring_seq is 3 below 2^64 made the next ring's seq wrap, it was persisted, and no
    /// ring formed again. The join's seq is ignored for ring-seq arithmetic (counted); the ring re-forms with a sane
    /// seq.
    /// </summary>
    [Fact]
    public void JoinNearTwoToTheSixtyFourDoesNotPoisonTheRingSeq()
    {
        RingHarness h = FormedRing();
        ulong before = h.Engines[0].RingId.Seq;
        for (int i = 0; i < 3; i++)
        {
            h.Inject(i, Forge.Join(Attacker, Attacker, ulong.MaxValue - 2, [Attacker], []), Attacker);
        }

        AssertReforms(h, "ring-seq poisoning join");
        for (int i = 0; i < 3; i++)
        {
            ulong seq = h.Engines[i].RingId.Seq;
            Assert.True(seq > before && seq < before + (1UL << 32), $"node {i + 1}: ring seq {seq}");
            Assert.True(h.Stores[i].Seq < before + (1UL << 32), $"node {i + 1} persisted {h.Stores[i].Seq}");
        }

        Assert.True(h.Engines.Take(3).Sum(e => e.Counters.RingSeqPoisonIgnored) > 0);
    }

    /// <summary>
    /// A node whose state file already holds a seq about to wrap (a poisoning before this fix) rejoins, and no member's
    /// seq goes backwards. (This passed before the fix too: the restarted node's singleton ring wrapped to a small seq.)
    /// </summary>
    [Fact]
    public void NodeRestartedWithPoisonedStoredSeqRejoins()
    {
        RingHarness h = FormedRing();
        h.Crash(2);
        h.RunFor(Ms(8000));
        Assert.True(h.AllOperationalWith(0, 1));
        h.Stores[2] = new MemoryRingSeqStore(ulong.MaxValue - 1);
        ulong before = h.Engines[0].RingId.Seq;
        h.Restart(2, new SrpEngine(SrpConfig.CorosyncDefaults(3, h.NodeList, 1000), h.Stores[2]));
        AssertReforms(h, "restart with a poisoned state file");
        for (int i = 0; i < 3; i++)
        {
            ulong seq = h.Engines[i].RingId.Seq;
            Assert.True(seq > before && seq < before + (1UL << 32), $"node {i + 1}: ring seq {seq} (was {before})");
        }
    }

    /// <summary>The last token node 2 received from node 1, decoded; the ring is kept busy for it.</summary>
    private static OrfToken LastTokenTo2(RingHarness h)
    {
        h.Wire = [];
        h.Multicast(0, Forge.EmptyPg);
        h.RunFor(Ms(20));
        byte[] last = h.Wire.Last(w => w.To == 2 && WireView.TypeOf(w.Bytes) == MessageType.OrfToken).Bytes;
        h.Wire = null;
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(last, out OrfToken seen, new RtrItem[30]));
        return seen;
    }

    /// <summary>
    /// docs/robustness.md, findings S1 and D5: from the attacker's own (listed) address, a token, join, merge_detect, token_hold_cancel,
    /// commit token and LEAVE in the names of real members. Identity binding drops each one (counted); the ring does not
    /// even gather.
    /// </summary>
    [Fact]
    public void ControlMessagesInAnotherNodesNameAreDropped()
    {
        RingHarness h = FormedRing();
        OrfToken seen = LastTokenTo2(h);
        MembRingId ring = h.Engines[1].RingId;
        long gathers = h.Engines[1].Counters.GatherEntered;
        byte[][] forged =
        [
            Forge.Token(1, ring, seen.Seq, seen.TokenSeq + 1, seen.Aru, 0),
            Forge.Join(1, 1, ring.Seq, [1, 2, 3, Attacker], []),
            Forge.MergeDetect(1, 1, new MembRingId(1, ring.Seq + 8)),
            Forge.HoldCancel(1, ring),
            Forge.Commit(1, 1, new MembRingId(1, ring.Seq + 4), 1, [1, 2, 3]),
            Forge.Join(0, 3, ring.Seq, [1, 2], [3]),
        ];
        foreach (byte[] d in forged)
        {
            h.Inject(1, d, Attacker);
        }

        // And a token of the ring in the attacker's own name: it is no member, so it holds no token.
        h.Inject(1, Forge.Token(Attacker, ring, seen.Seq, seen.TokenSeq + 1, seen.Aru, 0), Attacker);
        Assert.Equal(forged.Length + 1, h.Engines[1].Counters.DropMisattributed);
        h.RunFor(Ms(5000));
        Assert.Equal(gathers, h.Engines[1].Counters.GatherEntered);
        Assert.True(h.AllOperationalWith(0, 1, 2));
        Assert.Equal(ring, h.Engines[1].RingId);
    }

    /// <summary>
    /// docs/robustness.md, finding S2: nodeids outside the nodelist (0 included) in a join's lists, a merge_detect or a commit token,
    /// and anything from an address outside the nodelist, are dropped and counted; none of it starts a gather.
    /// </summary>
    [Fact]
    public void UnlistedNodeIdsAndAddressesAreDropped()
    {
        RingHarness h = FormedRing();
        MembRingId ring = h.Engines[1].RingId;
        long gathers = h.Engines[1].Counters.GatherEntered;
        h.Inject(1, Forge.Join(Attacker, Attacker, ring.Seq, [1, 2, 3, Attacker, 99], []), Attacker);
        h.Inject(1, Forge.Join(Attacker, Attacker, ring.Seq, [1, 2, 3, Attacker], [0]), Attacker);
        h.Inject(1, Forge.MergeDetect(99, 99, new MembRingId(99, 1)), Transmitter.Unknown);
        h.Inject(1, Forge.Commit(Attacker, 1, new MembRingId(Attacker, ring.Seq + 4), 1, [Attacker, 2, 0]), Attacker);
        Assert.Equal(4, h.Engines[1].Counters.DropUnlistedNode);
        h.Inject(1, Forge.MergeDetect(Attacker, Attacker, new MembRingId(Attacker, 1)), Transmitter.Unlisted);
        Assert.Equal(1, h.Engines[1].Counters.DropUnlistedTransmitter);
        h.RunFor(Ms(5000));
        Assert.Equal(gathers, h.Engines[1].Counters.GatherEntered);
        Assert.Equal(ring, h.Engines[1].RingId);
    }

    /// <summary>
    /// docs/robustness.md, finding D3: a merge_detect with a fresh system_from every two seconds kept the ring in GATHER (each new id
    /// re-armed consensus). From the attacker's address only its own nodeid is believed, so after a minute of it the
    /// ring is operational.
    /// </summary>
    [Fact]
    public void MergeDetectWithFreshIdsDoesNotLivelockConsensus()
    {
        RingHarness h = FormedRing();
        for (uint i = 0; i < 30; i++)
        {
            for (int n = 0; n < 3; n++)
            {
                h.Inject(n, Forge.MergeDetect(100 + i, 100 + i, new MembRingId(100 + i, 1)), Attacker);
            }

            h.RunFor(Ms(2000));
        }

        Assert.True(h.AllOperationalWith(0, 1, 2), "still gathering under the merge_detect flood");
    }

    /// <summary>
    /// An mcast of our ring transmitted from a listed address that is not a ring member, in a member's name, is not
    /// stored or delivered (a member may retransmit anyone's mcast; a stranger may not).
    /// </summary>
    [Fact]
    public void McastTransmittedByANonMemberIsNotDelivered()
    {
        RingHarness h = FormedRing();
        OrfToken seen = LastTokenTo2(h);
        byte[] payload = [0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0];
        h.Inject(1, Forge.Mcast(1, 1, seen.RingId, seen.Seq + 1, payload), Attacker);
        h.RunFor(Ms(3000));
        Assert.DoesNotContain(h.Delivered[1], d => d.Payload.AsSpan().SequenceEqual(payload));
        Assert.Equal(1, h.Engines[1].Counters.DropMisattributed);
    }

    /// <summary>
    /// Sixty simulated seconds of mutated replays of the ring's own datagrams (bit flips, counts and lengths at
    /// 0/1/max, seq and ring_seq jumps, truncation, extension, the endian flag flipped, headers in other nodes'
    /// names), sent from the attacker's listed address to random members. Nothing throws, and once it stops the ring
    /// of the three real members re-forms. Seeded; the seed is printed. (An attacker that also forges the source
    /// addresses of members can speak for them: docs/robustness.md lists what it can still do.)
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void SixtySecondsOfMutatedReplaysDoNotWedgeTheRing(int seed)
    {
        var output = new System.Text.StringBuilder($"seed {seed}");
        var random = new Random(seed);
        RingHarness h = FormedRing();
        h.Wire = [];
        for (int i = 0; i < 20; i++)
        {
            h.Multicast(i % 3, Forge.EmptyPg);
            h.RunFor(Ms(5));
        }

        h.Crash(2);
        h.RunFor(Ms(6000));
        h.Restart(2, new SrpEngine(SrpConfig.CorosyncDefaults(3, h.NodeList, 1000), h.Stores[2]));
        h.RunFor(Ms(6000));
        List<byte[]> samples = h.Wire.Select(w => w.Bytes).Where(b => b.Length >= 13).ToList();
        h.Wire = null;
        long end = h.Now + Ms(60_000);
        while (h.Now < end)
        {
            byte[] d = Mutate(samples[random.Next(samples.Count)], random);
            h.Inject(random.Next(3), d, Attacker);
            h.RunFor(random.Next(0, 20) * 100_000L);
        }

        h.RunFor(Ms(20_000));
        Assert.True(h.AllOperationalWith(0, 1, 2), output + ": the ring did not re-form after the replays: "
            + string.Join("; ", h.Engines.Take(3).Select(e => $"{e.NodeId} {e.State} {e.RingId} [{string.Join(",", e.Members.ToArray())}] gathers={e.Counters.GatherEntered} consensusTimeouts={e.Counters.ConsensusTimeouts} commits={e.Counters.CommitEntered} poison={e.Counters.RingSeqPoisonIgnored}")));
    }

    private static byte[] Mutate(byte[] sample, Random random)
    {
        byte[] d = (byte[])sample.Clone();
        switch (random.Next(8))
        {
            case 0:
                for (int f = random.Next(1, 4); f > 0; f--)
                {
                    d[random.Next(d.Length)] ^= (byte)(1 << random.Next(8));
                }

                break;
            case 1:
            {
                // A count or length field at 0, 1 or its maximum.
                int at = 13 + random.Next(Math.Max(1, d.Length - 16));
                uint value = random.Next(3) switch { 0 => 0u, 1 => 1u, _ => uint.MaxValue };
                if (at + 4 <= d.Length)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(at), value);
                }

                break;
            }

            case 2:
            {
                // A seq or ring_seq jump.
                int at = 13 + 4 * random.Next(Math.Max(1, (d.Length - 21) / 4));
                if (at + 8 <= d.Length)
                {
                    ulong v = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(at));
                    v += random.Next(2) == 0 ? 100_000UL : (ulong)random.NextInt64();
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(at), v);
                }

                break;
            }

            case 3:
                d = d[..random.Next(d.Length)];
                break;
            case 4:
            {
                byte[] longer = new byte[d.Length + random.Next(1, 64)];
                d.CopyTo(longer, 0);
                random.NextBytes(longer.AsSpan(d.Length));
                d = longer;
                break;
            }

            case 5:
                d[0] = 0xc0;
                d[1] = 0x70; // the other byte order's magic, fields left as they are
                break;
            case 6:
                // A header in another listed node's name.
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(5), (uint)random.Next(0, 6));
                break;
            default:
                break; // a plain replay
        }

        return d;
    }
}
