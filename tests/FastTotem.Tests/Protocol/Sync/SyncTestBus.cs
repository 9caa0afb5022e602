using FastTotem.Protocol.Sync;
using FastTotem.Tests.Srp;
using FastTotem.Wire;

namespace FastTotem.Tests.Protocol.Sync;

/// <summary>A local service that records every call into its node's trace.</summary>
internal sealed class RecordingService(string name, List<string> trace, int processSteps = 1) : ISyncService
{
    private int _steps;

    public int ProcessSteps { get; set; } = processSteps;

    public string Name => name;

    public void SyncInit(ReadOnlySpan<uint> transitionalMembers, ReadOnlySpan<uint> members, MembRingId ringId)
    {
        _steps = 0;
        trace.Add($"init:{name}:{ringId}:[{string.Join(",", transitionalMembers.ToArray())}]:[{string.Join(",", members.ToArray())}]");
    }

    public bool SyncProcess()
    {
        trace.Add($"process:{name}");
        return ++_steps >= ProcessSteps;
    }

    public void SyncActivate() => trace.Add($"activate:{name}");

    public void SyncAbort() => trace.Add($"abort:{name}");
}

internal sealed class SyncTestNode
{
    public SyncTestNode(uint id, params (int Id, int Steps)[] services)
    {
        Id = id;
        foreach ((int sid, int steps) in services)
        {
            var s = new RecordingService("s" + sid, Trace, steps);
            Services[sid] = s;
            Engine.RegisterService(sid, s, "s" + sid);
        }
    }

    public uint Id { get; }

    public SyncEngine Engine { get; } = new();

    public List<string> Trace { get; } = new();

    public Dictionary<int, RecordingService> Services { get; } = new();

    public List<SyncEvent> Completed { get; } = new();

    public int BarriersSent { get; set; }

    public int BuildsSent { get; set; }
}

/// <summary>
/// Sync engines over a real total order: every multicast goes through its node's totempg and a ring of node machines
/// (<see cref="RingWire"/>, driven through NodeLoop.Step) and is delivered to every member of the scripted current
/// configuration, one message of the agreed order per step.
/// </summary>
internal sealed class SyncTestBus(params SyncTestNode[] nodes)
{
    // Nodes 1..3 at least: a test may inject as a node outside the bus (3).
    private readonly RingWire _wire = new(Math.Max(3, (int)nodes.Max(n => n.Id)));

    public List<SyncTestNode> Nodes { get; } = [.. nodes];

    public List<SyncTestNode> Members { get; private set; } = new();

    public int Delivered { get; private set; }

    /// <summary>Transitional change (old members that survived) then regular change, on every new member.</summary>
    public void ConfigurationChange(MembRingId ring, uint[] members, uint[]? transitional = null)
    {
        Members = Nodes.Where(n => members.Contains(n.Id)).ToList();
        foreach (SyncTestNode n in Members)
        {
            n.Engine.HandleConfigurationChange(false, transitional ?? [n.Id], ring);
            n.Engine.HandleConfigurationChange(true, members, ring);
        }
    }

    /// <summary>Injects a raw message as if <paramref name="sender"/> had multicast it.</summary>
    public void Inject(uint sender, byte[] message) => _wire.Send(sender, message);

    /// <summary>One scheduling pass: every member processes once and its sends go on the wire; then one delivery.</summary>
    public bool Step()
    {
        bool progress = false;
        byte[] buffer = new byte[SyncServiceBuildMessage.Size];
        foreach (SyncTestNode n in Members)
        {
            progress |= n.Engine.PollProcess();
            while (n.Engine.TryTakeMessage(buffer, out int length))
            {
                byte[] m = buffer.AsSpan(0, length).ToArray();
                if (m[0] == SyncMessageId.Barrier)
                {
                    n.BarriersSent++;
                }
                else
                {
                    n.BuildsSent++;
                }

                _wire.Send(n.Id, m);
                progress = true;
            }
        }

        _wire.Settle();
        if (_wire.TryTakeNext(out uint sender, out byte[] message))
        {
            Delivered++;
            foreach (SyncTestNode n in Members)
            {
                n.Engine.HandleMessage(sender, message);
                while (n.Engine.TryPollEvent(out SyncEvent e))
                {
                    n.Completed.Add(e);
                }
            }

            progress = true;
        }

        return progress;
    }

    public void RunToQuiet(int maxSteps = 10_000)
    {
        for (int i = 0; i < maxSteps; i++)
        {
            if (!Step())
            {
                return;
            }
        }

        throw new Xunit.Sdk.XunitException("the bus did not go quiet");
    }

    /// <summary>Steps until <paramref name="condition"/> holds.</summary>
    public void RunUntil(Func<bool> condition, int maxSteps = 10_000)
    {
        for (int i = 0; i < maxSteps && !condition(); i++)
        {
            Step();
        }

        Assert.True(condition(), "condition not reached");
    }
}
