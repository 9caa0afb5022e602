using FastTotem.Protocol.Pg;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Pg;

/// <summary>Packing, flushing, taking, reassembling and group delivery of small messages allocate nothing.</summary>
public class PgAllocationTests
{
    private sealed class Counter : IPgGroupHandler
    {
        public long Bytes;

        public void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian) => Bytes += payload.Length;
    }

    private static void Round(PgPacker packer, PgAssembler assembler, PgGroups groups, byte[] small, byte[] barrier, byte[] buffer)
    {
        packer.TrySend(PgGroupSet.Services, small);
        packer.TrySend(PgGroupSet.Services, small, small);
        packer.TrySend(PgGroupSet.Sync, barrier);
        packer.HandleTokenReceived();
        while (packer.TryTakePacket(buffer, out int length))
        {
            assembler.HandlePacket(1, buffer.AsSpan(0, length), false, groups);
        }
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        var packer = new PgPacker(queueCapacity: 16);
        var assembler = new PgAssembler(4);
        var groups = new PgGroups();
        var counter = new Counter();
        int i = groups.AddInstance(counter);
        groups.Join(i, "a"u8);
        groups.Join(i, "sync"u8);
        byte[] small = new byte[100];
        byte[] barrier = new byte[SyncBarrierMessage.Size];
        byte[] buffer = new byte[packer.PacketSizeMax];

        Wire.ZeroAllocation.Assert(
            (packer, assembler, groups, small, barrier, buffer),
            static s => Round(s.packer, s.assembler, s.groups, s.small, s.barrier, s.buffer));

        Assert.Equal(0, counter.Bytes % (100 + 200 + 32));
        Assert.True(counter.Bytes >= 10_200L * (100 + 200 + 32));
    }
}
