namespace FastTotem.Protocol.Pg;

/// <summary>A local group instance's delivery callback (the deliver_fn of totempg_groups_initialize).</summary>
internal interface IPgGroupHandler
{
    /// <summary>
    /// A message for a group this instance has joined: <paramref name="payload"/> is the service message after
    /// the group header, valid only during the call.
    /// </summary>
    void OnGroupMessage(uint nodeId, ReadOnlySpan<byte> payload, bool foreignEndian);
}
