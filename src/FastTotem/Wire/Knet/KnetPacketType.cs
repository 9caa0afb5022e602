namespace FastTotem.Wire.Knet;

/// <summary>
/// The knet packet type, byte 1 of the knet header (KNET_HEADER_TYPE_*, libknet onwire.h).
/// Bit 0x80 marks the link-service packets; DATA is the only type without it. See docs/knet.md.
/// </summary>
internal enum KnetPacketType : byte
{
    /// <summary>User data: a 14-byte header and one Totem datagram or a fragment of one.</summary>
    Data = 0x00,

    /// <summary>Heartbeat, 26 bytes.</summary>
    Ping = 0x81,

    /// <summary>Answer to a PING: the PING's 26 bytes with this type and the responder's host id.</summary>
    Pong = 0x82,

    /// <summary>Path-MTU probe: 9 bytes and zero padding up to the probed size.</summary>
    Pmtud = 0x83,

    /// <summary>Answer to a PMTUD probe: the probe's first 9 bytes with this type and the responder's host id.</summary>
    PmtudReply = 0x84,
}
