using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// One output of the engine: a delivery or a configuration change. The spans point into the engine's buffers and
/// are valid only until the next call into the engine.
/// </summary>
internal ref struct SrpEvent
{
    public SrpEventKind Kind;

    /// <summary>Deliver: the originator (the mcast header nodeid).</summary>
    public uint SenderNodeId;

    /// <summary>Deliver: the totempg payload, the bytes after the 45-byte mcast header.</summary>
    public ReadOnlySpan<byte> Payload;

    /// <summary>Deliver: the stored message's magic was byte-swapped (the sender had the other byte order).</summary>
    public bool ForeignEndian;

    /// <summary>Deliver: the ring seq the message was ordered at (its mcast seq).</summary>
    public uint Seq;

    public ConfigChangeKind ConfigKind;

    /// <summary>GatherEntered: why the engine entered GATHER.</summary>
    public GatherReason GatherReason;

    /// <summary>ConfigChange: the ring being installed (both events carry the new ring id, as corosync does).
    /// GatherEntered: the ring the engine was on.</summary>
    public MembRingId RingId;

    public ReadOnlySpan<uint> Members;
    public ReadOnlySpan<uint> Left;
    public ReadOnlySpan<uint> Joined;
}
