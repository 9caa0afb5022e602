using System.Runtime.InteropServices;
using FastTotem.Wire;

namespace FastTotem.Capture;

public sealed partial class TotemCaptureDecoder
{
    /// <summary>The SRP layer: common header, then the type's own fields.</summary>
    private DecodeFailure DecodeSrp(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        // Placeholder until the SRP codecs land: header only.
        if (datagram.Length < TotemHeader.Size)
        {
            return new DecodeFailure(WireError.Truncated, "srp");
        }

        TotemHeader header = MemoryMarshal.Read<TotemHeader>(datagram);
        if (header.Magic != TotemHeader.MagicValue && header.Magic != TotemHeader.MagicSwapped)
        {
            return new DecodeFailure(WireError.BadMagic, "srp");
        }

        if (header.Version != TotemHeader.VersionValue)
        {
            return new DecodeFailure(WireError.BadVersion, "srp");
        }

        if ((byte)header.Type > (byte)MessageType.TokenHoldCancel)
        {
            return new DecodeFailure(WireError.UnknownType, "srp");
        }

        fields.Set("type", TypeName(header.Type));
        fields.Set("nodeid", header.NodeId);
        return DecodeFailure.None;
    }
}
