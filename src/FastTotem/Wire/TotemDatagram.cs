using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The front door for a received Totem datagram: the common header checks corosync makes before it
/// dispatches on the type (check_message_header_validity and main_deliver_fn, totemsrp.c).
/// </summary>
/// <remarks>
/// The codecs assume a little-endian host: structs are read and written in host order and "native"
/// means 0xC070 read as written. <see cref="BitConverter.IsLittleEndian"/> is a JIT-time constant, so
/// <see cref="EnsureLittleEndianHost"/> costs nothing on the hosts we support.
/// </remarks>
internal static class TotemDatagram
{
    /// <summary>
    /// Checks, in corosync's order: length ≥ 13 (<see cref="WireError.Truncated"/>), magic 0xC070 in
    /// either byte order (<see cref="WireError.BadMagic"/>), version 3 (<see cref="WireError.BadVersion"/>),
    /// type 0–5 (<see cref="WireError.UnknownType"/>). The per-type length checks are the codecs' job.
    /// </summary>
    /// <param name="datagram">The whole UDP payload.</param>
    /// <param name="header">The receiver's local copy: magic normalised to 0xC070, nodeid swapped when
    /// the sender had the other byte order, encapsulated and target_nodeid exactly as they arrived.</param>
    /// <param name="foreignEndian">True when the magic arrived byte-swapped.</param>
    public static WireError TryParse(ReadOnlySpan<byte> datagram, out TotemHeader header, out bool foreignEndian)
    {
        EnsureLittleEndianHost();
        if (datagram.Length < TotemHeader.Size)
        {
            header = default;
            foreignEndian = false;
            return WireError.Truncated;
        }

        header = MemoryMarshal.Read<TotemHeader>(datagram);
        if (header.Magic == TotemHeader.MagicValue)
        {
            foreignEndian = false;
        }
        else if (header.Magic == TotemHeader.MagicSwapped)
        {
            foreignEndian = true;
            header = header.SwapFields();
            header.Magic = TotemHeader.MagicValue;
        }
        else
        {
            foreignEndian = false;
            return WireError.BadMagic;
        }

        if (header.Version != TotemHeader.VersionValue)
        {
            return WireError.BadVersion;
        }

        if ((byte)header.Type > (byte)MessageType.TokenHoldCancel)
        {
            return WireError.UnknownType;
        }

        return WireError.None;
    }

    /// <summary>
    /// <see cref="TryParse"/> plus a check that the type is <paramref name="expected"/>: a codec handed a
    /// datagram of another type returns <see cref="WireError.UnknownType"/>.
    /// </summary>
    internal static WireError TryParseAs(
        ReadOnlySpan<byte> datagram, MessageType expected, out TotemHeader header, out bool foreignEndian)
    {
        WireError error = TryParse(datagram, out header, out foreignEndian);
        if (error == WireError.None && header.Type != expected)
        {
            return WireError.UnknownType;
        }

        return error;
    }

    /// <summary>Throws on a big-endian host; folds away on a little-endian one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EnsureLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
        {
            Invariant.ThrowPlatformNotSupported("FastTotem's wire codecs read and write structs in host order and assume a little-endian host.");
        }
    }

    /// <summary>The header every encoder writes: given fields, but magic, version and type forced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TotemHeader ForSend(in TotemHeader header, MessageType type)
    {
        TotemHeader copy = header;
        copy.Magic = TotemHeader.MagicValue;
        copy.Version = TotemHeader.VersionValue;
        copy.Type = type;
        return copy;
    }
}
