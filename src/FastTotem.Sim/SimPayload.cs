using System.Buffers.Binary;
using FastTotem.Protocol.Pg;

namespace FastTotem.Sim;

/// <summary>
/// The application payload the simulator multicasts: one totempg message in the group "sim", built by the real
/// totempg packer (<see cref="PgPacker"/>, flushed at once so each mcast carries exactly one message). The message
/// data starts with the message id (node, counter, little-endian) followed by filler, so every delivery can be
/// traced back to one multicast. Layout (docs/wire-format.md §7.1, §8): 8-byte totempg header with msg_count 1, msg_len,
/// group header 01 00 03 00 "sim", then the data.
/// </summary>
internal sealed class SimPayload
{
    public const int IdSize = 8;

    /// <summary>totempg header (8) + one msg_len (2) + group header for "sim" (2 + 2 + 3).</summary>
    public const int HeaderSize = 10 + GroupHeaderSize;

    private const int GroupHeaderSize = 7;
    private static readonly PgGroupSet Group = new("sim"u8);

    private readonly PgPacker _packer = new();
    private readonly byte[] _data = new byte[2048];

    /// <summary>Writes the payload for <paramref name="id"/> with <paramref name="dataLength"/> data bytes; returns its length.</summary>
    public int Write(Span<byte> buffer, MessageId id, int dataLength)
    {
        if (dataLength < IdSize || dataLength > 1200)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(dataLength), "data must hold the id and fit one packet");
        }

        Span<byte> data = _data.AsSpan(0, dataLength);
        BinaryPrimitives.WriteUInt32LittleEndian(data, id.Node);
        BinaryPrimitives.WriteUInt32LittleEndian(data[4..], id.Counter);
        for (int i = IdSize; i < data.Length; i++)
        {
            data[i] = (byte)(id.Counter + i);
        }

        if (_packer.TrySend(Group, data) != SendResult.Ok)
        {
            Invariant.ThrowInvalidOperation("the totempg packer refused a small message");
        }

        _packer.HandleTokenReceived();
        if (!_packer.TryTakePacket(buffer, out int length) || _packer.HasPendingData)
        {
            Invariant.ThrowInvalidOperation("the totempg packer did not produce exactly one packet");
        }

        return length;
    }

    /// <summary>Parses a delivered payload; <see cref="MessageId.Invalid"/> unless it is exactly what <see cref="Write"/> makes.</summary>
    public static MessageId Read(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < HeaderSize + IdSize ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload) != 0 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]) != 0 ||
            payload[4] != 0 || payload[5] != 0 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]) != 1 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[8..]) != payload.Length - 10 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[10..]) != 1 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[12..]) != 3 ||
            !payload.Slice(14, 3).SequenceEqual("sim"u8))
        {
            return MessageId.Invalid;
        }

        ReadOnlySpan<byte> data = payload[HeaderSize..];
        var id = new MessageId(BinaryPrimitives.ReadUInt32LittleEndian(data), BinaryPrimitives.ReadUInt32LittleEndian(data[4..]));
        for (int i = IdSize; i < data.Length; i++)
        {
            if (data[i] != (byte)(id.Counter + i))
            {
                return MessageId.Invalid; // corrupted filler
            }
        }

        return id;
    }
}
