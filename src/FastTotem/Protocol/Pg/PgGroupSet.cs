using System.Buffers.Binary;
using System.Text;
using FastTotem.Wire;

namespace FastTotem.Protocol.Pg;

/// <summary>
/// A set of group names laid out as the group header corosync puts in front of a message (docs/wire-format.md §8):
/// group_count, group_len[], then the names. Built once at start-up; sending to it allocates nothing.
/// The header is handed to the packer as separate pieces, exactly as totempg_groups_mcast_joined builds
/// its iovecs (the length array, then each name), because the packer's fragmentation decisions depend on
/// those piece boundaries.
/// </summary>
internal sealed class PgGroupSet
{
    /// <summary>The group corosync's service (exec) messages travel on.</summary>
    public static readonly PgGroupSet Services = new("a"u8);

    /// <summary>The group of the sync protocol.</summary>
    public static readonly PgGroupSet Sync = new("sync"u8);

    private readonly byte[] _header;
    private readonly int[] _nameLengths;

    public PgGroupSet(ReadOnlySpan<byte> name)
        : this([name.ToArray()])
    {
    }

    public PgGroupSet(params byte[][] names)
    {
        if (names.Length > PgGroupHeader.GroupsPerMessageMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(names), "corosync puts at most 32 groups in a message");
        }

        int length = sizeof(ushort) * (names.Length + 1);
        foreach (byte[] n in names)
        {
            if (n.Length > ushort.MaxValue)
            {
                Invariant.ThrowArgumentOutOfRange(nameof(names), "a group name length must fit in 16 bits");
            }

            length += n.Length;
        }

        _header = new byte[length];
        _nameLengths = new int[names.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(_header, (ushort)names.Length);
        int offset = sizeof(ushort) * (names.Length + 1);
        for (int i = 0; i < names.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_header.AsSpan(sizeof(ushort) * (i + 1)), (ushort)names[i].Length);
            names[i].CopyTo(_header, offset);
            offset += names[i].Length;
            _nameLengths[i] = names[i].Length;
        }
    }

    public static PgGroupSet FromStrings(params string[] names)
    {
        byte[][] bytes = new byte[names.Length][];
        for (int i = 0; i < names.Length; i++)
        {
            bytes[i] = Encoding.UTF8.GetBytes(names[i]);
        }

        return new PgGroupSet(bytes);
    }

    public int Count => _nameLengths.Length;

    /// <summary>The whole group header as it appears on the wire.</summary>
    public ReadOnlySpan<byte> HeaderBytes => _header;

    /// <summary>Number of pieces the header contributes: the length array and one per name.</summary>
    internal int PieceCount => _nameLengths.Length + 1;

    /// <summary>Piece <paramref name="index"/> of the header, in totempg_groups_mcast_joined's iovec order.</summary>
    internal ReadOnlySpan<byte> Piece(int index)
    {
        int lengthArray = sizeof(ushort) * (_nameLengths.Length + 1);
        if (index == 0)
        {
            return _header.AsSpan(0, lengthArray);
        }

        int offset = lengthArray;
        for (int i = 0; i < index - 1; i++)
        {
            offset += _nameLengths[i];
        }

        return _header.AsSpan(offset, _nameLengths[index - 1]);
    }
}
