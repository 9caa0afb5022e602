using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Wire;
using static FastTotem.Tests.Cpg.CpgTestHelpers;

namespace FastTotem.Tests.Cpg;

/// <summary>partial_mcast split and reassembly, counted drops for bad input, full tables, zero allocation.</summary>
public class CpgPartialAndDropTests
{
    /// <summary>A synced service with one local process (pid 10) in group A whose procjoin came back, and a known remote process 2:20.</summary>
    private static (CpgService Cpg, ExecOutbox Outbox, int Handle) Member(uint nodeId = 1, CpgLimits? limits = null)
    {
        var outbox = new ExecOutbox(8 * 1024 * 1024, 64);
        var cpg = new CpgService(nodeId, outbox, limits ?? SmallLimits);
        cpg.SyncInit([], [nodeId], new MembRingId(nodeId, 5));
        cpg.SyncActivate();
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupA, 10, out int handle));
        Assert.True(outbox.TryPeek(out ReadOnlySpan<byte> procjoin));
        cpg.HandleExec(nodeId, procjoin, false);
        outbox.Dequeue();
        cpg.HandleExec(2, ProcJoin(GroupA, 20), false);
        Drain(cpg);
        return (cpg, outbox, handle);
    }

    private static byte[] ProcJoin(byte[] group, uint pid)
    {
        byte[] bytes = new byte[CpgProcJoinMessage.Size];
        CpgProcJoinMessage m = default;
        m.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 0), CpgProcJoinMessage.Size);
        m.GroupName = MarCpgName.Create(group);
        m.Pid = pid;
        m.Reason = 1;
        m.TryWrite(bytes);
        return bytes;
    }

    private static byte[] Mcast(byte[] group, uint pid, uint nodeId, ReadOnlySpan<byte> data)
    {
        byte[] bytes = new byte[CpgMcastMessage.Size + data.Length];
        CpgMcastMessage m = default;
        m.Header = new QbIpcRequestHeader(QbIpcRequestHeader.MakeId(2, 3), bytes.Length);
        m.GroupName = MarCpgName.Create(group);
        m.MsgLen = (uint)data.Length;
        m.Pid = pid;
        m.Source.NodeId = nodeId;
        m.TryWrite(bytes, data, out _);
        return bytes;
    }

    private static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static List<byte[]> TakeAll(ExecOutbox outbox)
    {
        var list = new List<byte[]>();
        while (outbox.TryPeek(out ReadOnlySpan<byte> m))
        {
            list.Add(m.ToArray());
            outbox.Dequeue();
        }

        return list;
    }

    [Fact]
    public void OneMebibytePlusABitSplitsIntoFirstAndLast()
    {
        const int seed = 1234;
        byte[] data = Pattern((1024 * 1024) + 100, seed);
        (CpgService sender, ExecOutbox outbox, int handle) = Member();
        Assert.Equal(SendResult.Ok, sender.TryMcast(handle, data));
        List<byte[]> pieces = TakeAll(outbox);
        Assert.Equal(2, pieces.Count);
        Assert.Equal(WireError.None, CpgPartialMcastMessage.TryRead(pieces[0], false, out CpgPartialMcastMessage first, out _));
        Assert.Equal(WireError.None, CpgPartialMcastMessage.TryRead(pieces[1], false, out CpgPartialMcastMessage last, out _));
        Assert.Equal((CpgPartialMcastMessage.TypeFirst, 1047552u, (uint)data.Length), (first.Type, first.FragLen, first.MsgLen));
        Assert.Equal((CpgPartialMcastMessage.TypeLast, (uint)(data.Length - 1047552), (uint)data.Length), (last.Type, last.FragLen, last.MsgLen));
        Assert.Equal(200 + 1047552, first.Header.MessageSize);

        // The receiver (node 2, which knows 1:10 from its procjoin) puts them back together.
        (CpgService receiver, _, _) = Member(2);
        receiver.HandleExec(1, ProcJoin(GroupA, 10), false);
        Drain(receiver);
        foreach (byte[] piece in pieces)
        {
            receiver.HandleExec(1, piece, false);
        }

        CpgEventCopy delivery = Assert.Single(Drain(receiver));
        Assert.Equal((1u, 10u), (delivery.NodeId, delivery.Pid));
        Assert.True(delivery.Data.AsSpan().SequenceEqual(data), $"seed {seed}");
    }

    [Fact]
    public void LongerMessagesUseContinuedPiecesAndExactPieceSizeIsOneMcast()
    {
        const int seed = 99;
        byte[] data = Pattern((2 * 1047552) + 5, seed);
        (CpgService sender, ExecOutbox outbox, int handle) = Member();
        Assert.Equal(SendResult.Ok, sender.TryMcast(handle, data));
        List<byte[]> pieces = TakeAll(outbox);
        Assert.Equal(3, pieces.Count);
        uint[] types = pieces.ConvertAll(p => BitConverter.ToUInt32(p, 176)).ToArray();
        Assert.Equal(new uint[] { 1, 2, 3 }, types);

        (CpgService receiver, _, _) = Member(2);
        receiver.HandleExec(1, ProcJoin(GroupA, 10), false);
        Drain(receiver);
        foreach (byte[] piece in pieces)
        {
            receiver.HandleExec(1, piece, false);
        }

        Assert.True(Assert.Single(Drain(receiver)).Data.AsSpan().SequenceEqual(data), $"seed {seed}");

        Assert.Equal(SendResult.Ok, sender.TryMcast(handle, new byte[CpgLimits.PieceLengthMax]));
        byte[] single = Assert.Single(TakeAll(outbox));
        Assert.Equal(QbIpcRequestHeader.MakeId(2, 3), BitConverter.ToInt32(single, 0));
    }

    [Fact]
    public void PartialThatDoesNotFitIsRolledBack()
    {
        var outbox = new ExecOutbox(1047552 + 4096, 64);
        var cpg = new CpgService(1, outbox, SmallLimits);
        cpg.SyncInit([], [1], new MembRingId(1, 5));
        cpg.SyncActivate();
        Assert.Equal(CpgResult.Ok, cpg.Join(GroupA, 10, out int handle));
        long before = outbox.EnqueuedTotal;
        Assert.Equal(SendResult.TryAgain, cpg.TryMcast(handle, new byte[1047552 + 5000]));
        Assert.Equal(before, outbox.EnqueuedTotal);
        Assert.Equal(1, outbox.Count);
    }

    [Fact]
    public void BrokenPieceSequencesAreCountedDrops()
    {
        (CpgService sender, ExecOutbox outbox, int handle) = Member();
        sender.TryMcast(handle, Pattern((1024 * 1024) + 10, 5));
        List<byte[]> pieces = TakeAll(outbox);
        (CpgService receiver, _, _) = Member(2);
        receiver.HandleExec(1, ProcJoin(GroupA, 10), false);
        Drain(receiver);

        receiver.HandleExec(1, pieces[1], false);     // LAST without FIRST
        Assert.Equal(1, receiver.Counters.PartialDrops);
        receiver.HandleExec(1, pieces[0], false);
        receiver.HandleExec(1, pieces[0], false);     // FIRST again: the first attempt is dropped
        Assert.Equal(2, receiver.Counters.PartialDrops);
        receiver.HandleExec(1, pieces[1], false);
        Assert.Single(Drain(receiver));

        byte[] badType = (byte[])pieces[0].Clone();
        badType[176] = 7;
        receiver.HandleExec(1, badType, false);
        Assert.Equal(1, receiver.Counters.MalformedDrops);
        Assert.Empty(Drain(receiver));
    }

    [Fact]
    public void MalformedMessagesAreCountedDrops()
    {
        (CpgService cpg, _, _) = Member();
        byte[] good = Mcast(GroupA, 20, 2, "data"u8);

        cpg.HandleExec(2, good.AsSpan(0, 10), false);                 // shorter than a qb header
        cpg.HandleExec(2, good.AsSpan(0, 100), false);                // shorter than the mcast header
        byte[] longer = (byte[])good.Clone();
        longer[152] = 50;                                             // msglen past the end
        cpg.HandleExec(2, longer, false);
        Assert.Equal(3, cpg.Counters.MalformedDrops);

        byte[] badName = (byte[])good.Clone();
        badName[16] = 129;                                            // name length 129
        cpg.HandleExec(2, badName, false);
        byte[] badJoin = ProcJoin(GroupA, 30);
        badJoin[17] = 1;                                              // name length 256+
        cpg.HandleExec(2, badJoin, false);
        Assert.Equal(2, cpg.Counters.BadNameDrops);

        byte[] unknown = (byte[])good.Clone();
        unknown[0] = 9;
        cpg.HandleExec(2, unknown, false);
        Assert.Equal(1, cpg.Counters.UnknownFunctionDrops);

        byte[] joinlist = new byte[CpgJoinList.EncodedLength(1)];
        CpgJoinList.TryWriteHeader(joinlist, 1);
        joinlist[8] = 0xff;                                            // size beyond the message
        cpg.HandleExec(2, joinlist, false);
        byte[] downlist = new byte[CpgDownlistMessage.Size];
        CpgDownlistMessage.Create(0, []).TryWrite(downlist);
        downlist[24] = 0xff;
        downlist[25] = 0xff;                                            // left_nodes 65535
        cpg.HandleExec(2, downlist, false);
        cpg.HandleExec(2, downlist.AsSpan(0, 1000), false);
        Assert.Equal(6, cpg.Counters.MalformedDrops);
        Assert.Equal(2, cpg.Counters.BadNameDrops);

        Assert.Empty(Drain(cpg));
        Assert.Equal(2, cpg.ProcessCount);
        cpg.HandleExec(2, good, false);
        Assert.Single(Drain(cpg));
    }

    [Fact]
    public void FullTablesAreHandledAndCounted()
    {
        var limits = new CpgLimits
        {
            GroupCountMax = 2,
            ProcessCountMax = 3,
            LocalProcessCountMax = 1,
            MessageLengthMax = 4096,
            PartialSlotCount = 1,
            EventCountMax = 4,
            EventDataBytes = 4096,
        };
        (CpgService cpg, _, _) = Member(1, limits);
        Assert.Equal(CpgResult.NoResources, cpg.Join(GroupB, 11, out _));   // one local slot only
        cpg.HandleExec(3, ProcJoin(GroupA, 30), false);                   // third process: fits
        cpg.HandleExec(4, ProcJoin(GroupA, 40), false);                   // fourth: table full
        cpg.HandleExec(4, ProcJoin("groupC"u8.ToArray(), 41), false);     // third group: no slot
        Assert.Equal(2, cpg.Counters.TableFullDrops);
        Assert.Equal(3, cpg.ProcessCount);

        // Four events fit; more deliveries are counted, not queued, and reported once the queue drains.
        Drain(cpg);
        for (int i = 0; i < 6; i++)
        {
            cpg.HandleExec(2, Mcast(GroupA, 20, 2, "x"u8), false);
        }

        Assert.Equal(2, cpg.Counters.EventOverflowDrops);
        List<CpgEventCopy> queued = Drain(cpg);
        Assert.Equal(4, queued.Count(e => e.Kind == CpgEventKind.Deliver));
        Assert.Equal((CpgEventKind.EventsLost, 2u), (queued[^1].Kind, queued[^1].Pid)); // and the loss is reported
        cpg.HandleExec(2, Mcast(GroupA, 20, 2, "y"u8), false);
        Assert.Single(Drain(cpg));
    }

    /// <summary>
    /// docs/robustness.md, finding G2: a full event queue dropped deliveries and confchgs with only a node-wide counter, so a process
    /// never learnt that it had missed some, nor where. The loss is now an event of its own for each process that lost
    /// something, placed where the lost events would have been: after what was queued before, before anything later.
    /// </summary>
    [Fact]
    public void LostEventsAreReportedToEachProcessWhereTheyWereLost()
    {
        var limits = new CpgLimits { EventCountMax = 4, EventDataBytes = 4096 };
        (CpgService cpg, _, int handle) = Member(1, limits);
        cpg.HandleExec(2, ProcJoin(GroupA, 20), false);
        Drain(cpg);
        for (int i = 0; i < 6; i++)
        {
            cpg.HandleExec(2, Mcast(GroupA, 20, 2, [(byte)('a' + i)]), false);
        }

        Assert.Equal(2, cpg.Counters.EventOverflowDrops);

        // The host takes three deliveries; then "y" arrives while "d" still waits: the report of "e" and "f" comes
        // after "d" and before "y".
        foreach (char expected in "abc")
        {
            Assert.True(cpg.PollEvent(out CpgEvent taken) && taken.Data[0] == expected);
        }

        cpg.HandleExec(2, Mcast(GroupA, 20, 2, "y"u8), false);
        List<CpgEventCopy> rest = Drain(cpg);
        Assert.Equal(["Deliver d", "EventsLost 2", "Deliver y"], rest.Select(Describe));
        Assert.All(rest, e => Assert.Equal(handle, e.Handle));

        // A loss with nothing after it is reported once the queue has drained.
        for (int i = 0; i < 5; i++)
        {
            cpg.HandleExec(2, Mcast(GroupA, 20, 2, "z"u8), false);
        }

        Assert.Equal(["Deliver z", "Deliver z", "Deliver z", "Deliver z", "EventsLost 1"], Drain(cpg).Select(Describe));
        Assert.Empty(Drain(cpg));
        Assert.Equal(3, cpg.Counters.EventOverflowDrops);

        static string Describe(CpgEventCopy e) =>
            e.Kind == CpgEventKind.EventsLost ? $"EventsLost {e.Pid}" : $"{e.Kind} {(char)e.Data[0]}";
    }

    /// <summary>
    /// docs/robustness.md, finding G5: a process that leaves (or is killed) halfway through a partial message kept its slot; after
    /// as many such leaves as there are slots every large message was dropped. A procleave frees its partials.
    /// </summary>
    [Fact]
    public void PartialSlotsOfAProcessThatLeftAreFreed()
    {
        (CpgService sender, ExecOutbox outbox, int handle) = Member();
        sender.TryMcast(handle, Pattern((1024 * 1024) + 10, 5));
        List<byte[]> pieces = TakeAll(outbox);
        (CpgService receiver, _, _) = Member(2);
        foreach (uint pid in new uint[] { 10, 11, 12 })
        {
            receiver.HandleExec(1, ProcJoin(GroupA, pid), false);
        }

        foreach (uint pid in new uint[] { 10, 11 })
        {
            byte[] first = (byte[])pieces[0].Clone();
            BitConverter.TryWriteBytes(first.AsSpan(168), pid);
            receiver.HandleExec(1, first, false);
            byte[] leave = ProcJoin(GroupA, pid);
            BitConverter.TryWriteBytes(leave.AsSpan(0), QbIpcRequestHeader.MakeId(2, 1));
            receiver.HandleExec(1, leave, false);
        }

        Drain(receiver);
        foreach (byte[] piece in pieces)
        {
            byte[] p = (byte[])piece.Clone();
            BitConverter.TryWriteBytes(p.AsSpan(168), 12u);
            receiver.HandleExec(1, p, false);
        }

        Assert.Single(Drain(receiver), e => e.Kind == CpgEventKind.Deliver);
    }

    private static void Swap32(byte[] m, int offset) => Array.Reverse(m, offset, 4);

    /// <summary>A big-endian sender's procjoin and mcast (fields swapped per docs/wire-format.md §11) act like the native ones.</summary>
    [Fact]
    public void ForeignEndianSenderIsUnderstood()
    {
        (CpgService cpg, _, _) = Member();
        byte[] join = ProcJoin(GroupA, 0x01020304);
        foreach (int offset in new[] { 0, 8, 16, 152, 160 })
        {
            Swap32(join, offset);
        }

        cpg.HandleExec(3, join, true);
        CpgEventCopy change = Assert.Single(ConfigChanges(cpg));
        Assert.Equal("3:16909060:Join", change.Joined);

        byte[] mcast = Mcast(GroupA, 0x01020304, 3, "abc"u8);
        foreach (int offset in new[] { 0, 8, 16, 152, 160 })
        {
            Swap32(mcast, offset);
        }

        cpg.HandleExec(3, mcast, true);
        CpgEventCopy delivery = Assert.Single(Drain(cpg));
        Assert.Equal((3u, 0x01020304u, "abc"), (delivery.NodeId, delivery.Pid, System.Text.Encoding.ASCII.GetString(delivery.Data)));
        Assert.Equal(0, cpg.Counters.MalformedDrops + cpg.Counters.BadNameDrops);
    }

    [Fact]
    public void SteadyStateDeliveryAllocatesNothing()
    {
        (CpgService cpg, ExecOutbox outbox, int handle) = Member();
        byte[] message = Mcast(GroupA, 20, 2, new byte[1000]);
        byte[] large = Mcast(GroupA, 20, 2, new byte[60000]);

        void Round()
        {
            cpg.HandleExec(2, message, false);
            cpg.HandleExec(2, large, false);
            while (cpg.PollEvent(out CpgEvent ev))
            {
                if (ev.Data.Length == 0)
                {
                    throw new InvalidOperationException("empty delivery");
                }
            }

            cpg.TryMcast(handle, message.AsSpan(0, 100));
            outbox.Dequeue();
        }

        for (int i = 0; i < 2000; i++)
        {
            Round();
        }

        long delta = long.MaxValue;
        for (int attempt = 0; attempt < 3 && delta != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20000; i++)
            {
                Round();
            }

            delta = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, delta);
        Assert.Equal(0, cpg.Counters.EventOverflowDrops);
        Assert.True(cpg.Counters.Delivered >= 44000);
    }
}
