using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Decode + encode of every service message type allocates nothing over 10,000 iterations.</summary>
public class ServiceCodecAllocationTests
{
    private const int Iterations = 10_000;

    private static int RoundTripAll(byte[] a5, byte[] a15, byte[] d171, byte[] e79, byte[] misc, byte[] output)
    {
        int checksum = 0;
        Span<byte> scratch = stackalloc byte[8];

        PgPacket.TryParse(a5, false, out PgPacketView p5);
        PgGroupHeader.TryParse(p5.Data, false, out PgGroupHeaderView g5);
        SyncServiceBuildMessage.TryRead(g5.Payload, out SyncServiceBuildMessage build);
        build.TryWrite(output);
        checksum += build.ServiceListEntries;

        PgPacket.TryParse(a15, false, out PgPacketView p15);
        PgGroupHeader.TryParse(p15.Data.Slice(0, p15.LengthAt(0)), false, out PgGroupHeaderView g15);
        VotequorumNodeInfoMessage.TryRead(g15.Payload, false, out VotequorumNodeInfoMessage ni);
        ni.TryWrite(output);
        PgGroupHeader.TryParse(p15.Data.Slice(74), false, out PgGroupHeaderView gb);
        SyncBarrierMessage.TryRead(gb.Payload, out SyncBarrierMessage barrier);
        barrier.TryWrite(output);
        PgPacket.TryWrite(output, 0, 0, [37, 37, 40], p15.Data, out int w);
        checksum += w;

        PgPacket.TryParse(d171, false, out PgPacketView p171);
        PgGroupHeader.TryParse(p171.Data, false, out PgGroupHeaderView g171);
        CpgMcastMessage.TryRead(g171.Payload, false, out CpgMcastMessage mc, out ReadOnlySpan<byte> data);
        mc.TryWrite(output, data, out w);
        checksum += w;

        PgGroupHeader.TryParse(e79.AsSpan(10), false, out PgGroupHeaderView g79);
        CpgPartialMcastMessage.TryRead(g79.Payload, false, out CpgPartialMcastMessage pm, out _);
        checksum += (int)pm.FragLen;

        CpgProcJoinMessage.TryRead(misc, false, out CpgProcJoinMessage pj);
        pj.TryWrite(output);
        CpgDownlistMessage.TryRead(misc, false, out CpgDownlistMessage dl);
        dl.TryWrite(output);
        CpgDownlistOldMessage.TryRead(misc, out _);
        CpgJoinList.TryParse(misc, false, out QbIpcResponseHeader jh, out int entries);
        CpgJoinList.TryWriteHeader(output, in jh);
        if (entries > 0)
        {
            CpgJoinList.TryReadEntry(misc, 0, false, out CpgJoinListEntry e);
            CpgJoinList.TryWriteEntry(output, 0, in e);
        }

        VotequorumReconfigureMessage.TryRead(misc, false, out VotequorumReconfigureMessage rc);
        rc.TryWrite(output);
        VotequorumQdeviceRegMessage.TryRead(misc, false, out VotequorumQdeviceRegMessage qr);
        qr.TryWrite(output);
        VotequorumQdeviceReconfigureMessage.TryRead(misc, out VotequorumQdeviceReconfigureMessage qc);
        qc.TryWrite(output);
        CmapMcastHeader.TryRead(misc, false, out CmapMcastHeader ch);
        ch.TryWrite(output);
        int offset = CmapMcastHeader.Size;
        CmapMcastHeader.TryReadItem(misc, ref offset, false, scratch, out _, out _);
        return checksum + offset;
    }

    [Fact]
    public void DecodeEncodeAllocatesNothing()
    {
        byte[] a5 = WorkedDecodeTests.A5Payload();
        byte[] a15 = WorkedDecodeTests.A15Payload();
        byte[] d171 = WorkedDecodeTests.D171Payload();
        byte[] e79 = WorkedDecodeTests.E79Payload();
        byte[] misc = new byte[2048];
        CpgJoinList.TryWriteHeader(misc, 1);
        byte[] output = new byte[2048];

        int[] sum = new int[1];
        ZeroAllocation.Assert(
            (a5, a15, d171, e79, misc, output, sum),
            static s => s.sum[0] += RoundTripAll(s.a5, s.a15, s.d171, s.e79, s.misc, s.output),
            Iterations);
        Assert.NotEqual(0, sum[0]);
    }
}
