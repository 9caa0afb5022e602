using FastTotem.Wire;

namespace FastTotem.Capture;

public sealed partial class TotemCaptureDecoder
{
    /// <summary>One sender's totempg reassembly state, as corosync keeps it per nodeid (struct assembly, totempg.c).</summary>
    private sealed class Assembly
    {
        public readonly List<byte> Buffer = new();
        public byte LastFragment;
        public bool ThrowAway;
    }

    private readonly Dictionary<uint, Assembly> _assemblies = new();

    /// <summary>
    /// The totempg layer of one mcast payload: the packet header, then each message it completes
    /// (packed entries, or a fragmented message it finishes) through the group header to the service
    /// decoders. Reassembly follows totempg_deliver_fn's decisions (WIRE.md §7.3), including its
    /// throw-away mode. <paramref name="standalone"/> decodes only the entries that are whole in this
    /// packet and leaves the sender's reassembly alone (an encapsulated copy of an mcast already seen).
    /// </summary>
    private DecodeFailure DecodeTotempg(uint sender, ReadOnlySpan<byte> payload, bool foreignEndian, DecodedFields fields, bool standalone)
    {
        WireError error = PgPacket.TryParse(payload, foreignEndian, out PgPacketView packet);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "totempg");
        }

        int count = packet.Count;
        var pg = new DecodedFields();
        pg.Set("fragmented", packet.Fragmented);
        pg.Set("continuation", packet.Continuation);
        pg.Set("msg_count", count);
        var lengths = new int[count];
        var offsets = new int[count];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            lengths[i] = packet.LengthAt(i);
            offsets[i] = offset;
            offset += lengths[i];
        }

        pg.Set("msg_len", lengths);
        fields.Set("totempg", pg);
        var messages = new List<object?>(count);
        fields.Set("messages", messages);
        if (count == 0)
        {
            return DecodeFailure.None;
        }

        ReadOnlySpan<byte> data = packet.Data;
        DecodeFailure failure = DecodeFailure.None;
        int wholeCount = packet.Fragmented != 0 ? count - 1 : count;
        if (standalone)
        {
            for (int i = packet.Continuation != 0 ? 1 : 0; i < wholeCount; i++)
            {
                Collect(messages, DecodeMessage(data.Slice(offsets[i], lengths[i]), foreignEndian, 0), ref failure);
            }

            return failure;
        }

        if (!_assemblies.TryGetValue(sender, out Assembly? assembly))
        {
            assembly = new Assembly();
            _assemblies.Add(sender, assembly);
        }

        if (assembly.ThrowAway)
        {
            // corosync leaves throw-away mode on a packet with fragmented 0 or 1 but delivers none of it.
            if (packet.Fragmented is 0 or 1)
            {
                assembly.ThrowAway = false;
            }

            pg.Set("discarded", "throw-away mode after a continuation mismatch");
            assembly.Buffer.Clear();
        }
        else if (packet.Continuation == assembly.LastFragment)
        {
            assembly.LastFragment = packet.Fragmented;
            for (int i = 0; i < wholeCount; i++)
            {
                ReadOnlySpan<byte> entry = data.Slice(offsets[i], lengths[i]);
                if (i == 0 && assembly.Buffer.Count > 0)
                {
                    assembly.Buffer.AddRange(entry);
                    byte[] whole = assembly.Buffer.ToArray();
                    assembly.Buffer.Clear();
                    Collect(messages, DecodeMessage(whole, foreignEndian, whole.Length), ref failure);
                }
                else
                {
                    Collect(messages, DecodeMessage(entry, foreignEndian, 0), ref failure);
                }
            }
        }
        else
        {
            pg.Set("discarded", $"continuation {packet.Continuation} does not follow fragment {assembly.LastFragment}");
            assembly.ThrowAway = true;
            assembly.Buffer.Clear();
        }

        if (packet.Fragmented == 0)
        {
            assembly.LastFragment = 0;
            assembly.Buffer.Clear();
        }
        else
        {
            // The last entry is the start (or, alone in a continuing packet, the middle) of a message.
            ReadOnlySpan<byte> tail = data.Slice(offsets[count - 1], lengths[count - 1]);
            if (count > 1 || packet.Continuation == 0)
            {
                assembly.Buffer.Clear();
            }

            if (assembly.Buffer.Count + tail.Length > WireLimits.AssemblyMax)
            {
                pg.Set("discarded", "reassembly exceeds 1 MiB + 64 KiB");
                assembly.Buffer.Clear();
                assembly.ThrowAway = true;
                return new DecodeFailure(WireError.BadFragment, "totempg");
            }

            assembly.Buffer.AddRange(tail);
            pg.Set("buffered", assembly.Buffer.Count);
        }

        return failure;
    }

    private static void Collect(List<object?> messages, (DecodedFields Fields, DecodeFailure Failure) message, ref DecodeFailure firstFailure)
    {
        messages.Add(message.Fields);
        if (firstFailure.Error == WireError.None && message.Failure.Error != WireError.None)
        {
            firstFailure = message.Failure;
        }
    }
}
