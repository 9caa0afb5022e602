using System.Text;
using FastTotem.Protocol.Cpg;
using FastTotem.Protocol.Services;
using FastTotem.Tests.Services;

namespace FastTotem.Tests.Cpg;

/// <summary>A copied CPG event, with the address lists as "node:pid[:reason]" strings for readable assertions.</summary>
internal sealed record CpgEventCopy(
    CpgEventKind Kind, int Handle, uint LocalPid, string Group, uint NodeId, uint Pid, byte[] Data,
    string Members, string Left, string Joined, string TotemMembers);

internal static class CpgTestHelpers
{
    public static readonly byte[] GroupA = "groupA"u8.ToArray();
    public static readonly byte[] GroupB = "groupB"u8.ToArray();

    public static CpgLimits SmallLimits => new()
    {
        GroupCountMax = 16,
        ProcessCountMax = 64,
        LocalProcessCountMax = 8,
        MessageLengthMax = 3 * 1024 * 1024,
        PartialSlotCount = 2,
        EventCountMax = 256,
        EventDataBytes = 4 * 1024 * 1024,
    };

    public static ServiceTestCluster.Node NewNode(uint nodeId, CpgLimits? limits = null)
    {
        var outbox = new ExecOutbox(8 * 1024 * 1024, 256);
        var cpg = new CpgService(nodeId, outbox, limits ?? SmallLimits);
        var handlers = new IExecHandler?[8];
        handlers[2] = cpg;
        return new ServiceTestCluster.Node(nodeId, outbox, [cpg], handlers);
    }

    public static CpgService Cpg(this ServiceTestCluster.Node node) => (CpgService)node.Handlers[2]!;

    public static List<CpgEventCopy> Drain(CpgService cpg)
    {
        var events = new List<CpgEventCopy>();
        while (cpg.PollEvent(out CpgEvent ev))
        {
            events.Add(new CpgEventCopy(
                ev.Kind, ev.LocalHandle, ev.LocalPid, Encoding.ASCII.GetString(ev.GroupName), ev.NodeId, ev.Pid, ev.Data.ToArray(),
                Format(ev.Members, false), Format(ev.Left, true), Format(ev.Joined, true), string.Join(",", ev.TotemMembers.ToArray())));
        }

        return events;
    }

    public static List<CpgEventCopy> ConfigChanges(CpgService cpg) => Drain(cpg).FindAll(e => e.Kind == CpgEventKind.ConfigChange);

    private static string Format(ReadOnlySpan<CpgAddress> list, bool withReason)
    {
        var parts = new List<string>();
        foreach (CpgAddress a in list)
        {
            parts.Add(withReason ? $"{a.NodeId}:{a.Pid}:{a.Reason}" : $"{a.NodeId}:{a.Pid}");
        }

        return string.Join(",", parts);
    }
}
