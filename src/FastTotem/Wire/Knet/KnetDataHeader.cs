using System.Runtime.InteropServices;

namespace FastTotem.Wire.Knet;

/// <summary>
/// The 14-byte header of a DATA packet (struct knet_header + knet_header_payload_data, libknet onwire.h).
/// The user bytes (a Totem datagram or one fragment of it) follow at offset <see cref="Size"/>.
/// Fields hold host-order values; the sequence number is big-endian on the wire.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct KnetDataHeader
{
    /// <summary>Bytes before the user bytes.</summary>
    public const int Size = 14;

    /// <summary>Most fragments one packet may be cut into (PCKT_FRAG_MAX).</summary>
    public const int FragmentCountMax = 255;

    /// <summary>Largest user payload before fragmentation (KNET_MAX_PACKET_SIZE): one Totem datagram.</summary>
    public const int PayloadMax = 65536;

    /// <summary>Channels 0..31 exist (KNET_DATAFD_MAX); corosync only ever uses channel 0.</summary>
    public const int ChannelCount = 32;

    public KnetHeader Header;

    /// <summary>The sender's packet counter, 1..65535 (0 is skipped); all fragments of a packet share it.</summary>
    public ushort Seq;

    /// <summary>0 = not compressed, otherwise a <see cref="KnetCompressionModel"/> id.</summary>
    public byte Compress;

    public byte Pad;

    /// <summary>1 when the sender addressed every reachable host; informative only, no receiver reads it.</summary>
    public byte Broadcast;

    /// <summary>Fragments of this packet: 1 = not fragmented, 2..255 = fragmented.</summary>
    public byte FragmentCount;

    /// <summary>0 when <see cref="FragmentCount"/> is 1, otherwise this fragment's 1-based number.</summary>
    public byte FragmentSeq;

    /// <summary>Data channel (signed in libknet). corosync uses 0.</summary>
    public sbyte Channel;

    /// <summary>True when the packet is one fragment of several.</summary>
    public readonly bool IsFragment => FragmentCount > 1;
}
