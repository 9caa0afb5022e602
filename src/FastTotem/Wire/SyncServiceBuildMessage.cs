using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_service_build_message (sync.c), 552 bytes, every member 8-aligned (docs/wire-format.md §10.1).
/// The sync service converts nothing for a foreign-endian sender, so neither do we.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct SyncServiceBuildMessage
{
    public const int Size = 552;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public MembRingId RingId;
    [FieldOffset(28)] public uint Pad28;
    [FieldOffset(32)] public int ServiceListEntries;
    [FieldOffset(36)] public uint Pad36;
    [FieldOffset(40)] public SyncServiceList ServiceList;

    /// <summary>A message as sync.c builds it: zeroed, then the ring id and the sorted service ids.</summary>
    public static SyncServiceBuildMessage Create(MembRingId ringId, ReadOnlySpan<int> serviceIds)
    {
        if (serviceIds.Length > WireLimits.ServiceListMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(serviceIds), "out of range");
        }

        SyncServiceBuildMessage message = default;
        message.Header = new QbIpcRequestHeader(SyncMessageId.ServiceBuild, Size);
        message.RingId = ringId;
        message.ServiceListEntries = serviceIds.Length;
        serviceIds.CopyTo(message.ServiceList);
        return message;
    }

    /// <summary>The valid part of the service list.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<int> Services =>
        ((ReadOnlySpan<int>)ServiceList).Slice(0, ServiceListEntries);

    /// <summary>Decodes a service build; a list count outside 0–128 is rejected before the list is touched.</summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, out SyncServiceBuildMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<SyncServiceBuildMessage>(source);
        if (message.Header.Id != SyncMessageId.ServiceBuild)
        {
            return WireError.BadField;
        }

        if ((uint)message.ServiceListEntries > WireLimits.ServiceListMax)
        {
            return WireError.CountTooLarge;
        }

        return WireError.None;
    }

    public readonly WireError TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return WireError.DestinationTooSmall;
        }

        MemoryMarshal.Write(destination, in this);
        return WireError.None;
    }
}
