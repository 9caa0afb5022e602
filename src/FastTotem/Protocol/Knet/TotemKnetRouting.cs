using System.Buffers.Binary;
using FastTotem.Wire;

namespace FastTotem.Protocol.Knet;

/// <summary>
/// corosync's knet filter (totemknet.c dst_host_filter_callback_fn; docs/knet.md, "Routing"): over knet the Totem
/// header's target_nodeid is live. Tokens and commit tokens carry the next node's id and go to that host only;
/// everything else carries 0 and goes to every reachable host. A receiver drops a frame whose target is neither 0
/// nor itself.
/// </summary>
internal static class TotemKnetRouting
{
    private const int TargetOffset = 9;

    /// <summary>The frame's target_nodeid in the sender's byte order (told by the magic); 0 when too short.</summary>
    public static uint Target(ReadOnlySpan<byte> totem)
    {
        if (totem.Length < TotemHeader.Size)
        {
            return 0;
        }

        uint raw = BinaryPrimitives.ReadUInt32LittleEndian(totem.Slice(TargetOffset, 4));
        return BinaryPrimitives.ReadUInt16LittleEndian(totem) == TotemHeader.MagicSwapped ? BinaryPrimitives.ReverseEndianness(raw) : raw;
    }

    /// <summary>Writes target_nodeid into a frame FastTotem built (little-endian, as all its frames).</summary>
    public static void SetTarget(Span<byte> totem, uint target)
    {
        if (totem.Length >= TotemHeader.Size)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(totem.Slice(TargetOffset, 4), target);
        }
    }

    /// <summary>Whether a received frame is for <paramref name="localNodeId"/> (target 0 or itself).</summary>
    public static bool IsForUs(ReadOnlySpan<byte> totem, uint localNodeId)
    {
        uint target = Target(totem);
        return target == 0 || target == localNodeId;
    }
}
