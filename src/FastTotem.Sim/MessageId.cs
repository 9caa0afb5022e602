namespace FastTotem.Sim;

/// <summary>
/// A simulated application message's identity: the originating nodeid and that node's counter. The counter lives in
/// the simulator, not the engine, so ids stay unique across crashes and restarts of a node.
/// </summary>
internal readonly record struct MessageId(uint Node, uint Counter)
{
    /// <summary>Marks a delivered payload that did not parse as a simulator message (an invented message).</summary>
    public static readonly MessageId Invalid = new(0, 0);

    public bool IsValid => Node != 0;

    public override string ToString() => IsValid ? $"m{Node}:{Counter}" : "m(invalid)";
}
