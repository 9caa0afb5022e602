using FastTotem.Protocol.Srp;
using FastTotem.Wire;

namespace FastTotem.Protocol.Node;

/// <summary>
/// One output of a <see cref="NodeMachine"/>. The spans point into the machine's (or its engine's) buffers and are
/// valid only until the next call into the machine.
/// </summary>
internal ref struct NodeEvent
{
    public NodeEventKind Kind;

    /// <summary>Deliver: the originator (the mcast header nodeid).</summary>
    public uint SenderNodeId;

    /// <summary>Deliver: the totempg payload.</summary>
    public ReadOnlySpan<byte> Payload;

    /// <summary>Deliver: the sender had the other byte order.</summary>
    public bool ForeignEndian;

    /// <summary>Deliver: the ring seq the message was ordered at.</summary>
    public uint Seq;

    /// <summary>ConfigChange: transitional or regular.</summary>
    public ConfigChangeKind ConfigKind;

    /// <summary>ConfigChange: the ring being installed; SyncComplete: the ring that finished synchronising.</summary>
    public MembRingId RingId;

    /// <summary>SyncComplete: the synchronised ring runs accelerated from now on (every member is a FastTotem node with
    /// the accelerated ring on; docs/accelerated-ring.md); false: standard mode.</summary>
    public bool Accelerated;

    /// <summary>GatherEntered: why the engine entered GATHER (RingId is the ring it was on).</summary>
    public GatherReason GatherReason;

    public ReadOnlySpan<uint> Members;
    public ReadOnlySpan<uint> Left;
    public ReadOnlySpan<uint> Joined;

    internal static NodeEvent From(scoped in SrpEvent ev) => new()
    {
        Kind = ev.Kind switch
        {
            SrpEventKind.Deliver => NodeEventKind.Deliver,
            SrpEventKind.GatherEntered => NodeEventKind.GatherEntered,
            _ => NodeEventKind.ConfigChange,
        },
        GatherReason = ev.GatherReason,
        SenderNodeId = ev.SenderNodeId,
        Payload = ev.Payload,
        ForeignEndian = ev.ForeignEndian,
        Seq = ev.Seq,
        ConfigKind = ev.ConfigKind,
        RingId = ev.RingId,
        Members = ev.Members,
        Left = ev.Left,
        Joined = ev.Joined,
    };
}
