using System.Runtime.InteropServices;

namespace FastTotem.Wire.Knet;

/// <summary>
/// The 6-byte header at the start of every cleartext knet packet (struct knet_header, libknet onwire.h).
/// Fields hold host-order values; <see cref="KnetCodec"/> converts the host id to and from big-endian.
/// </summary>
/// <remarks>Wire layout: version u8, type u8, host id u16 big-endian, two zero pad bytes. See docs/knet.md.</remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct KnetHeader
{
    /// <summary>Bytes on the wire.</summary>
    public const int Size = 6;

    /// <summary>The only version libknet 1.x speaks; anything else is dropped.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Bit of <see cref="Type"/> that marks PING/PONG/PMTUD/PMTUD_REPLY (KNET_HEADER_TYPE_PMSK).</summary>
    public const byte ServiceTypeMask = 0x80;

    /// <summary>Shortest decrypted packet libknet accepts (header plus one byte).</summary>
    public const int MinimumPacketLength = Size + 1;

    public byte Version;
    public KnetPacketType Type;

    /// <summary>The sender's knet host id (the corosync nodeid, 1..65535); big-endian on the wire.</summary>
    public ushort HostId;

    public byte Pad1;
    public byte Pad2;

    public KnetHeader(KnetPacketType type, ushort hostId)
    {
        Version = CurrentVersion;
        Type = type;
        HostId = hostId;
        Pad1 = 0;
        Pad2 = 0;
    }
}
