using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// The 13-byte header at offset 0 of every Totem datagram (struct totem_message_header, totemsrp.c).
/// Packed. <see cref="TargetNodeId"/> is never read: corosync leaves stack bytes in it.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct TotemHeader
{
    public const int Size = 13;

    /// <summary>0xC070 in the sender's byte order; the endian detector.</summary>
    public const ushort MagicValue = 0xC070;

    /// <summary>The byte-swapped magic that marks a sender of the other byte order.</summary>
    public const ushort MagicSwapped = 0x70C0;

    public const byte VersionValue = 3;

    /// <summary>encapsulated value of a normal mcast (MESSAGE_NOT_ENCAPSULATED).</summary>
    public const byte NotEncapsulated = 2;

    /// <summary>encapsulated value of a recovery mcast wrapping an old-ring mcast (MESSAGE_ENCAPSULATED).</summary>
    public const byte Encapsulated = 1;

    public ushort Magic;
    public byte Version;
    public MessageType Type;
    public byte EncapsulatedFlag;
    public uint NodeId;
    public uint TargetNodeId;

    public TotemHeader(MessageType type, uint nodeId, byte encapsulated = 0)
    {
        Magic = MagicValue;
        Version = VersionValue;
        Type = type;
        EncapsulatedFlag = encapsulated;
        NodeId = nodeId;
        TargetNodeId = 0;
    }

    /// <summary>True when <see cref="Magic"/> shows the sender had the other byte order.</summary>
    public readonly bool IsForeignEndian => Magic == MagicSwapped;

    /// <summary>
    /// The fields a corosync receiver swaps for a foreign-endian sender: nodeid only.
    /// target_nodeid is not copied by corosync; we keep it as it arrived and never read it.
    /// </summary>
    public readonly TotemHeader SwapFields()
    {
        TotemHeader copy = this;
        copy.NodeId = BinaryPrimitives.ReverseEndianness(NodeId);
        return copy;
    }
}
