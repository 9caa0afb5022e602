using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// struct req_exec_quorum_qdevice_reconfigure (votequorum.c), 528 bytes: oldname[255]@16, newname[255]@271,
/// then tail padding (docs/wire-format.md §12). Its converter swaps nothing. Source-only: never seen on the wire.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct VotequorumQdeviceReconfigureMessage
{
    public const int Size = 528;

    [FieldOffset(0)] public QbIpcRequestHeader Header;
    [FieldOffset(16)] public QdeviceName OldName;
    [FieldOffset(271)] public QdeviceName NewName;
    [FieldOffset(526)] public ushort Pad526;

    public static WireError TryRead(ReadOnlySpan<byte> source, out VotequorumQdeviceReconfigureMessage message)
    {
        if (source.Length < Size)
        {
            message = default;
            return WireError.Truncated;
        }

        message = MemoryMarshal.Read<VotequorumQdeviceReconfigureMessage>(source);
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
