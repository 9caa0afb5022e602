using System.Buffers.Binary;

namespace FastTotem.Cli.Bench;

/// <summary>
/// The benchmark message header, byte for byte native/cpgprobe.c's struct probe_header, so FastTotem nodes and
/// libcpg probes exchange the same messages: magic, sender pid, sequence number (from 1), send time
/// (CLOCK_MONOTONIC ns, which every network namespace shares), size, sender nodeid.
/// </summary>
internal static class ProbeMessage
{
    public const uint Magic = 0x42505446; // "FTPB"
    public const int HeaderSize = 32;

    public static void Write(Span<byte> message, uint pid, ulong seq, long sentNs, uint nodeId)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(message, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(message[4..], pid);
        BinaryPrimitives.WriteUInt64LittleEndian(message[8..], seq);
        BinaryPrimitives.WriteInt64LittleEndian(message[16..], sentNs);
        BinaryPrimitives.WriteUInt32LittleEndian(message[24..], (uint)message.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(message[28..], nodeId);
    }

    public static bool TryRead(ReadOnlySpan<byte> message, out ulong seq, out long sentNs)
    {
        if (message.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(message) != Magic)
        {
            seq = 0;
            sentNs = 0;
            return false;
        }

        seq = BinaryPrimitives.ReadUInt64LittleEndian(message[8..]);
        sentNs = BinaryPrimitives.ReadInt64LittleEndian(message[16..]);
        return true;
    }
}
