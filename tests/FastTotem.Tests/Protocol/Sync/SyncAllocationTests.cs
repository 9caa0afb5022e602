using FastTotem.Protocol.Sync;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Sync;

public class SyncAllocationTests
{
    private sealed class CountingService : ISyncService
    {
        public int Activations;

        public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
        {
        }

        public bool SyncProcess() => true;

        public void SyncActivate() => Activations++;

        public void SyncAbort()
        {
        }
    }

    private static void Round(SyncEngine engine, uint[] members, ulong seq, byte[] buffer)
    {
        var ring = new MembRingId(1, seq);
        engine.HandleConfigurationChange(false, members, ring);
        engine.HandleConfigurationChange(true, members, ring);
        while (true)
        {
            engine.PollProcess();
            if (!engine.TryTakeMessage(buffer, out int length))
            {
                break;
            }

            engine.HandleMessage(1, buffer.AsSpan(0, length));
        }

        Assert.True(engine.TryPollEvent(out _));
    }

    [Fact]
    public void SyncRoundsAllocateNothing()
    {
        var engine = new SyncEngine();
        var services = new CountingService[4];
        int[] ids = [0, 2, 3, 5];
        for (int i = 0; i < ids.Length; i++)
        {
            services[i] = new CountingService();
            engine.RegisterService(ids[i], services[i], "s" + ids[i]);
        }

        uint[] members = [1];
        byte[] buffer = new byte[SyncServiceBuildMessage.Size];
        var state = new RoundState(engine, members, buffer);
        Wire.ZeroAllocation.Assert(state, static s => Round(s.Engine, s.Members, s.NextSeq++, s.Buffer));

        Assert.All(services, s => Assert.Equal((int)(state.NextSeq - 5), s.Activations));
    }

    private sealed class RoundState(SyncEngine engine, uint[] members, byte[] buffer)
    {
        public SyncEngine Engine { get; } = engine;

        public uint[] Members { get; } = members;

        public byte[] Buffer { get; } = buffer;

        public ulong NextSeq { get; set; } = 5;
    }
}
