using FastTotem.Hosting;

namespace FastTotem;

/// <summary>
/// One delivery read in place from a group's pinned delivery slab (<see cref="ProcessGroup.TryTakeDelivery"/>):
/// nothing is copied between the protocol thread and the host. The memory stays valid, and is not reused, until
/// <see cref="Release"/>; reading <see cref="Data"/> after that is a host bug (the bytes may belong to a later
/// delivery). A small struct: hold as many leases as the slab has room for, release them in any order.
/// <c>using</c> releases it at the end of a scope (<see cref="Dispose"/>; no boxing, no allocation).
/// </summary>
public readonly struct DeliveryLease : IDisposable
{
    private readonly ProcessGroup? _group;
    private readonly DeliveryRecord _record;

    internal DeliveryLease(ProcessGroup group, DeliveryRecord record)
    {
        _group = group;
        _record = record;
    }

    /// <summary>False for a default lease (none was taken).</summary>
    public bool IsValid => _group != null;

    /// <summary>The sending node.</summary>
    public uint NodeId => _record.NodeId;

    /// <summary>The sending member's pid.</summary>
    public uint Pid => _record.Pid;

    /// <summary>Bytes of the message.</summary>
    public int Length => _record.Length;

    /// <summary>Identifies the lease for <see cref="ProcessGroup.ReleaseDelivery"/> (unique for the group's lifetime).</summary>
    public long Token => _record.Token;

    /// <summary>The message, in the slab (valid until <see cref="Release"/>).</summary>
    public ReadOnlySpan<byte> Data => _group == null ? default : _group.LeaseData(_record);

    /// <summary>
    /// Gives the memory back. <see cref="DeliveryRelease.AlreadyReleased"/> for a second release of the same lease
    /// (a copy of this struct counts as the same lease); never throws.
    /// </summary>
    public DeliveryRelease Release() => _group == null ? DeliveryRelease.NotALease : _group.ReleaseDelivery(_record.Token);

    /// <summary>Releases the lease (<see cref="Release"/>, its result ignored: a second release changes nothing).</summary>
    public void Dispose() => Release();
}
