namespace FastTotem.Protocol.Pg;

/// <summary>Receives the complete messages the <see cref="PgAssembler"/> puts together, in delivery order.</summary>
internal interface IPgMessageSink
{
    /// <summary>
    /// One complete totempg message (group header included) from <paramref name="nodeId"/>. The span is only
    /// valid during the call. <paramref name="foreignEndian"/> is the sender's byte-order flag, for the group
    /// header and service converters.
    /// </summary>
    void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian);
}
