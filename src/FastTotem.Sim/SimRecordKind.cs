namespace FastTotem.Sim;

/// <summary>What a <see cref="SimRecord"/> reports.</summary>
internal enum SimRecordKind : byte
{
    /// <summary>A process (one incarnation of a node) started its engine.</summary>
    Start,
    /// <summary>A process crashed: its engine was discarded without a graceful leave.</summary>
    Crash,
    /// <summary>The engine accepted an application message for multicast.</summary>
    Multicast,
    /// <summary>The engine delivered a message to the application.</summary>
    Deliver,
    /// <summary>The engine delivered a configuration change.</summary>
    ConfigChange,
    /// <summary>A fault schedule step or other free-text note, not tied to a process.</summary>
    Note,
}
