namespace FastTotem;

/// <summary>Which of corosync's two configuration changes a <see cref="RingChange"/> is.</summary>
public enum RingChangeKind
{
    /// <summary>The members of the old ring that made it into the new one (delivered before the new ring's messages).</summary>
    Transitional,

    /// <summary>The new ring's full membership.</summary>
    Regular,
}
