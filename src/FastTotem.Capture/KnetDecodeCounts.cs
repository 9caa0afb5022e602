namespace FastTotem.Capture;

/// <summary>What <c>fasttotem decode</c> found at the knet layer of a capture (printed in its summary).</summary>
internal sealed class KnetDecodeCounts
{
    /// <summary>UDP datagrams recognised as knet (sealed or clear), whether or not they then decoded.</summary>
    public int Packets { get; internal set; }

    public int Data { get; internal set; }

    public int Ping { get; internal set; }

    public int Pong { get; internal set; }

    public int Pmtud { get; internal set; }

    public int PmtudReply { get; internal set; }

    /// <summary>DATA packets that are one fragment of several (frag_num &gt; 1).</summary>
    public int Fragments { get; internal set; }

    /// <summary>Complete DATA payloads (after reassembly): each should be one Totem datagram.</summary>
    public int Payloads { get; internal set; }

    /// <summary>Payloads that arrived compressed and were inflated.</summary>
    public int Compressed { get; internal set; }

    /// <summary>Packets whose HMAC verified (and, with a cipher, that decrypted) with one of the authkeys.</summary>
    public int CryptoVerified { get; internal set; }

    /// <summary>Packets that neither verified with an authkey nor were cleartext knet.</summary>
    public int CryptoFailed { get; internal set; }

    /// <summary>Cleartext knet packets.</summary>
    public int Clear { get; internal set; }

    /// <summary>knet packets that failed crypto, header, fragment or compression checks (their lines carry "error").</summary>
    public int Undecodable { get; internal set; }

    /// <summary>ICMP errors about datagrams on the decoded ports.</summary>
    public int Icmp { get; internal set; }

    /// <summary>Fragment reassemblies given up because too many were open at once.</summary>
    public int ReassembliesEvicted { get; internal set; }

    /// <summary>Fragment reassemblies still open at the end of the capture.</summary>
    public int ReassembliesIncomplete { get; internal set; }
}
