using System.Runtime.InteropServices;

namespace FastTotem.Wire.Knet;

/// <summary>
/// The fixed 9 bytes of a PMTUD probe or PMTUD_REPLY (struct knet_header + knet_header_payload_pmtud,
/// libknet onwire.h). A probe carries zero padding after these 9 bytes up to the size it probes; a reply
/// is exactly 9 bytes. <see cref="Size"/> (the field) is in the prober's native order on the wire
/// (little-endian on x86-64) and must be echoed as received.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct KnetPmtud
{
    /// <summary>Bytes of the fixed part, and the whole length of a PMTUD_REPLY.</summary>
    public const int HeaderSize = 9;

    public KnetHeader Header;

    /// <summary>The prober's link id; a reply echoes it.</summary>
    public byte Link;

    /// <summary>The probe's complete IP packet length (IP + UDP headers + UDP payload); a reply echoes it.</summary>
    public ushort Size;
}
