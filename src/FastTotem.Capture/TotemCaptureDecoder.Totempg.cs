using FastTotem.Protocol.Pg;
using FastTotem.Wire;

namespace FastTotem.Capture;

internal sealed partial class TotemCaptureDecoder
{
    private readonly PgAssembler _assembler = new();
    private readonly MessageCollector _collector = new();

    /// <summary>
    /// The totempg layer of one mcast payload: the packet header, then each message it completes
    /// (packed entries, or a fragmented message it finishes) through the group header to the service
    /// decoders. Reassembly is <see cref="PgAssembler"/>'s (totempg_deliver_fn, docs/wire-format.md §7.3),
    /// throw-away mode included, one assembler for the whole capture keyed by header nodeid.
    /// <paramref name="standalone"/> decodes only the entries that are whole in this packet and leaves
    /// the sender's reassembly alone (an encapsulated copy of an mcast already seen).
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

        // Reassembly is the protocol's own PgAssembler (totempg_deliver_fn); the collector copies out
        // each message it delivers, because the span is only valid during the callback.
        _collector.Messages.Clear();
        PgReceiveResult result = _assembler.HandlePacket(sender, payload, foreignEndian, _collector);
        for (int i = 0; i < _collector.Messages.Count; i++)
        {
            byte[] message = _collector.Messages[i];
            bool assembled = i == 0 && packet.Continuation != 0;
            Collect(messages, DecodeMessage(message, foreignEndian, assembled ? message.Length : 0), ref failure);
        }

        switch (result)
        {
            case PgReceiveResult.ThrownAway:
                pg.Set("discarded", "throw-away mode: fragment numbers do not line up");
                break;
            case PgReceiveResult.NoSlot:
                pg.Set("discarded", "no reassembly slot left");
                break;
            case PgReceiveResult.Oversize:
                pg.Set("discarded", "reassembly exceeds 1 MiB + 64 KiB");
                return new DecodeFailure(WireError.BadFragment, "totempg");
            case PgReceiveResult.Malformed:
                return new DecodeFailure(WireError.LengthMismatch, "totempg");
        }

        if (packet.Fragmented != 0 && result == PgReceiveResult.Accepted)
        {
            pg.Set("buffered", _assembler.BufferedBytes(sender));
        }

        return failure;
    }

    /// <summary>Keeps copies of the messages <see cref="PgAssembler"/> delivers.</summary>
    private sealed class MessageCollector : IPgMessageSink
    {
        public readonly List<byte[]> Messages = new();

        public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian) => Messages.Add(message.ToArray());
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
