using FastTotem.Wire;

namespace FastTotem.Protocol.Srp;

/// <summary>
/// A configuration change copied into preallocated member lists (384 entries each), so the event can wait in a queue
/// while the buffers it was made from are reused. The engine's event queue and the node machine's keep a few each.
/// </summary>
internal sealed class ConfigChangeCopy
{
    private readonly uint[] _members = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _left = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _joined = new uint[WireLimits.ProcessorCountMax];
    private int _memberCount;
    private int _leftCount;
    private int _joinedCount;

    public ConfigChangeKind Kind { get; private set; }

    public MembRingId RingId { get; private set; }

    public ReadOnlySpan<uint> Members => _members.AsSpan(0, _memberCount);

    public ReadOnlySpan<uint> Left => _left.AsSpan(0, _leftCount);

    public ReadOnlySpan<uint> Joined => _joined.AsSpan(0, _joinedCount);

    public void Set(ConfigChangeKind kind, MembRingId ringId, ReadOnlySpan<uint> members, ReadOnlySpan<uint> left, ReadOnlySpan<uint> joined)
    {
        Kind = kind;
        RingId = ringId;
        members.CopyTo(_members);
        left.CopyTo(_left);
        joined.CopyTo(_joined);
        _memberCount = members.Length;
        _leftCount = left.Length;
        _joinedCount = joined.Length;
    }

    /// <summary>No lists: a ring id alone (a sync completion in the node machine's queue).</summary>
    public void SetRingOnly(MembRingId ringId)
    {
        RingId = ringId;
        _memberCount = _leftCount = _joinedCount = 0;
    }
}
