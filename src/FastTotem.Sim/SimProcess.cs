namespace FastTotem.Sim;

/// <summary>
/// One incarnation of a node: from an engine start to its crash (or the end of the run). The checker treats each
/// incarnation as its own process, since a restarted node has a fresh engine that remembers nothing but its ring seq.
/// </summary>
internal sealed class SimProcess
{
    public int Index;
    public uint NodeId;
    public int Incarnation;
    public long StartNs;
    /// <summary>When the process crashed; long.MaxValue while it is alive (or if it was alive at the end).</summary>
    public long CrashNs = long.MaxValue;

    public bool Crashed => CrashNs != long.MaxValue;

    public override string ToString() => $"n{NodeId}#{Index}";
}
