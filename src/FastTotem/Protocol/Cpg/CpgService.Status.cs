namespace FastTotem.Protocol.Cpg;

internal sealed partial class CpgService
{
    /// <summary>
    /// The <paramref name="index"/>-th process of the cluster-wide table (0 to <see cref="ProcessCount"/> − 1): its
    /// node, pid and group name, as <c>corosync-cpgtool</c> lists them. Loop thread; the name is valid until the next input.
    /// </summary>
    internal ReadOnlySpan<byte> GetProcess(int index, out uint nodeId, out uint pid)
    {
        nodeId = _processes.NodeId(index);
        pid = _processes.Pid(index);
        return _groups.Name(_processes.Group(index));
    }
}
