using FastTotem.Wire;

namespace FastTotem.Capture;

internal sealed partial class TotemCaptureDecoder
{
    /// <summary>
    /// mcasts already decoded, by (header nodeid, ring id, seq, encapsulated) as INDEX.md says: udpu
    /// sends one copy per nodelist member and retransmissions repeat the original header, so later
    /// copies are marked and not fed to totempg reassembly a second time.
    /// </summary>
    private readonly HashSet<(uint NodeId, MembRingId Ring, uint Seq, byte Encapsulated)> _seenMcasts = new();

    private DecodeFailure DecodeMcast(ReadOnlySpan<byte> datagram, DecodedFields fields)
    {
        WireError error = McastCodec.TryDecode(datagram, out McastHeader header, out ReadOnlySpan<byte> payload, out bool foreignEndian);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "mcast");
        }

        SetMcastHeader(fields, header);
        if (!_seenMcasts.Add((header.Header.NodeId, header.RingId, header.Seq, header.Header.EncapsulatedFlag)))
        {
            CopyCount++;
            fields.Set("copy", true);
            return DecodeFailure.None;
        }

        fields.Set("copy", false);
        if (!header.IsEncapsulated)
        {
            return DecodeTotempg(header.Header.NodeId, payload, foreignEndian, fields, standalone: false);
        }

        // A recovery re-send: the payload is the complete old-ring mcast, which McastCodec has
        // validated; decode its header again to read it. It goes to reassembly only when this capture
        // has not shown the original, as a node that missed it would receive it only now.
        error = McastCodec.TryDecode(payload, out McastHeader inner, out ReadOnlySpan<byte> innerPayload, out bool innerForeign);
        if (error != WireError.None)
        {
            return new DecodeFailure(error, "mcast.inner");
        }

        var innerFields = new DecodedFields();
        innerFields.Set("nodeid", inner.Header.NodeId);
        SetMcastHeader(innerFields, inner);
        fields.Set("inner", innerFields);
        bool seenBefore = !_seenMcasts.Add((inner.Header.NodeId, inner.RingId, inner.Seq, inner.Header.EncapsulatedFlag));
        innerFields.Set("copy", seenBefore);

        DecodeFailure failure = DecodeTotempg(inner.Header.NodeId, innerPayload, innerForeign, innerFields, standalone: seenBefore);
        return failure.Error == WireError.None ? failure : failure with { Layer = "inner." + failure.Layer };
    }

    private static void SetMcastHeader(DecodedFields fields, in McastHeader header)
    {
        fields.Set("ring", header.RingId);
        fields.Set("seq", header.Seq);
        fields.Set("system_from", header.SystemFrom);
        fields.Set("this_seqno", header.ThisSeqno);
        fields.Set("encapsulated", header.IsEncapsulated);
    }
}
