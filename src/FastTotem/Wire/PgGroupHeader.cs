using System.Buffers.Binary;

namespace FastTotem.Wire;

/// <summary>
/// Codec for the group header in front of every totempg message (docs/wire-format.md §8): group_count, group_len[],
/// then the names back to back, not NUL-terminated. Read by group_matches and written by
/// totempg_groups_mcast_joined in totempg.c. Counts and lengths are swap16 for a foreign-endian sender.
/// </summary>
internal static class PgGroupHeader
{
    /// <summary>MAX_GROUPS_PER_MSG: the most groups corosync puts in one header.</summary>
    public const int GroupsPerMessageMax = 32;

    public static WireError TryParse(ReadOnlySpan<byte> message, bool foreignEndian, out PgGroupHeaderView view)
    {
        view = default;
        if (message.Length < sizeof(ushort))
        {
            return WireError.Truncated;
        }

        int count = ReadU16(message, 0, foreignEndian);
        int namesOffset = sizeof(ushort) * (count + 1);
        if (namesOffset > message.Length)
        {
            return WireError.CountBeyondPacket;
        }

        long end = namesOffset;
        for (int i = 0; i < count; i++)
        {
            end += ReadU16(message, sizeof(ushort) * (i + 1), foreignEndian);
        }

        if (end > message.Length)
        {
            return WireError.CountBeyondPacket;
        }

        view = new PgGroupHeaderView(message, count, namesOffset, (int)end, foreignEndian);
        return WireError.None;
    }

    /// <summary>Size of a header naming the groups whose lengths are given.</summary>
    public static int EncodedLength(ReadOnlySpan<ushort> nameLengths)
    {
        int length = sizeof(ushort) * (nameLengths.Length + 1);
        for (int i = 0; i < nameLengths.Length; i++)
        {
            length += nameLengths[i];
        }

        return length;
    }

    /// <summary>Writes a header for the names concatenated in <paramref name="names"/> with the given lengths.</summary>
    public static WireError TryWrite(Span<byte> destination, ReadOnlySpan<byte> names, ReadOnlySpan<ushort> nameLengths, out int written)
    {
        written = 0;
        if (nameLengths.Length > GroupsPerMessageMax)
        {
            return WireError.CountTooLarge;
        }

        int length = EncodedLength(nameLengths);
        if (length - (sizeof(ushort) * (nameLengths.Length + 1)) != names.Length)
        {
            return WireError.LengthMismatch;
        }

        if (destination.Length < length)
        {
            return WireError.DestinationTooSmall;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)nameLengths.Length);
        for (int i = 0; i < nameLengths.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(sizeof(ushort) * (i + 1)), nameLengths[i]);
        }

        names.CopyTo(destination.Slice(sizeof(ushort) * (nameLengths.Length + 1)));
        written = length;
        return WireError.None;
    }

    internal static int ReadU16(ReadOnlySpan<byte> source, int offset, bool foreignEndian)
    {
        ushort raw = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(offset));
        return foreignEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
    }
}

/// <summary>A validated group header and the service message behind it.</summary>
internal readonly ref struct PgGroupHeaderView
{
    private readonly ReadOnlySpan<byte> _message;
    private readonly int _namesOffset;
    private readonly bool _foreignEndian;

    internal PgGroupHeaderView(ReadOnlySpan<byte> message, int count, int namesOffset, int headerLength, bool foreignEndian)
    {
        _message = message;
        Count = count;
        _namesOffset = namesOffset;
        HeaderLength = headerLength;
        _foreignEndian = foreignEndian;
    }

    /// <summary>group_count.</summary>
    public int Count { get; }

    /// <summary>Bytes taken by the header (corosync's adjust_iovec).</summary>
    public int HeaderLength { get; }

    /// <summary>The message after the header, handed to the matching group instances.</summary>
    public ReadOnlySpan<byte> Payload => _message.Slice(HeaderLength);

    /// <summary>The name of group <paramref name="index"/> (0-based), as raw bytes.</summary>
    public ReadOnlySpan<byte> NameAt(int index)
    {
        int offset = _namesOffset;
        for (int i = 0; i < index; i++)
        {
            offset += PgGroupHeader.ReadU16(_message, sizeof(ushort) * (i + 1), _foreignEndian);
        }

        return _message.Slice(offset, PgGroupHeader.ReadU16(_message, sizeof(ushort) * (index + 1), _foreignEndian));
    }

    /// <summary>True when any listed name equals <paramref name="name"/> (group_matches).</summary>
    public bool Contains(ReadOnlySpan<byte> name)
    {
        int offset = _namesOffset;
        for (int i = 0; i < Count; i++)
        {
            int length = PgGroupHeader.ReadU16(_message, sizeof(ushort) * (i + 1), _foreignEndian);
            if (length == name.Length && _message.Slice(offset, length).SequenceEqual(name))
            {
                return true;
            }

            offset += length;
        }

        return false;
    }
}
