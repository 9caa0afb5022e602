using System.Buffers.Binary;

namespace FastTotem.Sim;

/// <summary>
/// The application payload the simulator multicasts: a single-entry totempg packet (WIRE.md §7.1: 8-byte header
/// with msg_count 1, one msg_len, then the data) whose data starts with the message id (node, counter, little-endian)
/// followed by filler, so every delivery can be traced back to one multicast.
/// </summary>
public static class SimPayload
{
    public const int HeaderSize = 10; // 8-byte totempg header + one msg_len
    public const int IdSize = 8;
    public const int SizeMin = HeaderSize + IdSize;

    /// <summary>Writes the payload for <paramref name="id"/> with <paramref name="dataLength"/> data bytes; returns its length.</summary>
    public static int Write(Span<byte> buffer, MessageId id, int dataLength)
    {
        if (dataLength < IdSize || dataLength > ushort.MaxValue || buffer.Length < HeaderSize + dataLength)
        {
            SimThrow.ArgumentOutOfRange(nameof(dataLength), "data must hold the id and fit the buffer");
        }

        buffer[..8].Clear(); // version 0, type 0, fragmented 0, continuation 0
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[8..], (ushort)dataLength);
        Span<byte> data = buffer.Slice(HeaderSize, dataLength);
        BinaryPrimitives.WriteUInt32LittleEndian(data, id.Node);
        BinaryPrimitives.WriteUInt32LittleEndian(data[4..], id.Counter);
        for (int i = IdSize; i < data.Length; i++)
        {
            data[i] = (byte)(id.Counter + i);
        }

        return HeaderSize + dataLength;
    }

    /// <summary>Parses a delivered payload; <see cref="MessageId.Invalid"/> unless it is exactly what <see cref="Write"/> makes.</summary>
    public static MessageId Read(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < SizeMin ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload) != 0 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]) != 0 ||
            payload[4] != 0 || payload[5] != 0 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]) != 1 ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[8..]) != payload.Length - HeaderSize)
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
