using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_barrier_message (sync.c), 32 bytes (docs/wire-format.md §10.1). It does not name a service:
/// it counts for whichever service the receiver is processing.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct SyncBarrierMessage
{
    public const int Size = 32;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public MembRingId RingId;
    [FieldOffset(28)] public uint Pad28;

    public static SyncBarrierMessage Create(MembRingId ringId)
    {
        SyncBarrierMessage message = default;
        message.Header = new QbIpcRequestHeader(SyncMessageId.Barrier, Size);
        message.RingId = ringId;
        return message;
    }

    public static WireError TryRead(ReadOnlySpan<byte> source, out SyncBarrierMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<SyncBarrierMessage>(source);
        return message.Header.Id == SyncMessageId.Barrier ? WireError.None : WireError.BadField;
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
