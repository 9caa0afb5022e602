using System.Runtime.InteropServices;

namespace FastTotem.Wire.Knet;

/// <summary>
/// A PING or PONG, 26 bytes (struct knet_header + knet_header_payload_ping, libknet onwire.h).
/// A PONG is the PING it answers with the type set to PONG and the responder's host id; every other
/// byte is echoed untouched. Fields hold host-order values: the seq is big-endian on the wire, the
/// timestamp is the pinger's native order (little-endian on x86-64, and we only run little-endian).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct KnetPing
{
    /// <summary>Bytes on the wire (cleartext). Also KNET_HEADER_ALL_SIZE, the header budget of the MTU arithmetic.</summary>
    public const int Size = 26;

    public KnetHeader Header;

    /// <summary>The pinger's link id (0..7); a PONG echoes it.</summary>
    public byte Link;

    /// <summary>The pinger's CLOCK_MONOTONIC seconds when it built the PING.</summary>
    public long TimeSeconds;

    /// <summary>Nanoseconds part of the timestamp (0..999,999,999).</summary>
    public long TimeNanoseconds;

    /// <summary>The pinger's last DATA seq (0 before its first DATA packet).</summary>
    public ushort Seq;

    /// <summary>1 = regular heartbeat, 0 = forced resync PING sent every 8191 DATA packets.</summary>
    public byte Timed;
}
