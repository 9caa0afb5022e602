using System.Globalization;
using System.Text;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Wire;

namespace FastTotem.Capture;

/// <summary>
/// The engine of <c>fasttotem decode</c>: turns each Totem datagram of a capture into
/// <see cref="DecodedFields"/> (SRP header and body, totempg packet, group header, service messages),
/// keeping the state a reader needs across datagrams: which mcasts were already seen (so copies to
/// other destinations are marked, not decoded twice) and each sender's totempg reassembly.
/// Offline tooling: allocation is fine here; the codecs it calls are the hot-path ones.
/// </summary>
internal sealed partial class TotemCaptureDecoder
{
    /// <summary>Exit code: every Totem datagram decoded.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code: some Totem datagram could not be decoded.</summary>
    public const int ExitUndecodable = 1;

    /// <summary>Exit code: bad arguments or an unreadable capture.</summary>
    public const int ExitUsage = 2;

    private readonly long _originNs;

    public TotemCaptureDecoder(long originNs)
    {
        _originNs = originNs;
    }

    public int DatagramCount { get; private set; }

    public int UndecodableCount { get; private set; }

    public int CopyCount { get; private set; }

    /// <summary>Runs <c>fasttotem decode</c> with the arguments after the verb.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        if (args.Count == 1 && args[0] is "-h" or "--help")
        {
            output.WriteLine(DecodeOptions.Usage);
            return ExitOk;
        }

        if (!DecodeOptions.TryParse(args, out DecodeOptions? options, out string? problem))
        {
            error.WriteLine($"fasttotem decode: {problem}");
            error.WriteLine(DecodeOptions.Usage);
            return ExitUsage;
        }

        return Run(options!, output, error);
    }

    /// <summary>Reads <see cref="DecodeOptions.Path"/> and decodes it.</summary>
    public static int Run(DecodeOptions options, TextWriter output, TextWriter error)
    {
        CaptureContents contents;
        try
        {
            contents = options.Path == "-" ? CaptureFile.Read(Console.OpenStandardInput()) : CaptureFile.Read(options.Path);
        }
        catch (CaptureFormatException e)
        {
            error.WriteLine($"fasttotem decode: {options.Path}: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            error.WriteLine($"fasttotem decode: cannot read {options.Path}: {e.Message}");
            return ExitUsage;
        }

        return Run(contents, options, output, error);
    }

    /// <summary>
    /// Decodes an already-read capture: one line per datagram on the decoded ports (Totem datagram, knet packet,
    /// or ICMP error about one) to <paramref name="output"/>, the summary to <paramref name="error"/>.
    /// </summary>
    public static int Run(CaptureContents contents, DecodeOptions options, TextWriter output, TextWriter error)
    {
        foreach (string warning in contents.Warnings)
        {
            error.WriteLine($"fasttotem decode: warning: {warning}");
        }

        var decoder = new TotemCaptureDecoder(contents.FirstFrameTimestampNs);
        foreach (string path in options.AuthKeyPaths ?? [])
        {
            byte[] file;
            try
            {
                file = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                error.WriteLine($"fasttotem decode: cannot read authkey {path}: {e.Message}");
                return ExitUsage;
            }

            if (KnetAuthKey.Select(file, out ReadOnlySpan<byte> key) != KnetAuthKeyStatus.Ok)
            {
                error.WriteLine($"fasttotem decode: authkey {path} has {file.Length} bytes; corosync needs at least {KnetAuthKey.LengthMin}");
                return ExitUsage;
            }

            decoder.AddAuthKey(key);
        }

        var ports = new HashSet<int>(options.Ports);
        IReadOnlyList<CapturedDatagram> datagrams = contents.Datagrams;
        IReadOnlyList<CapturedIcmp> icmpErrors = contents.IcmpErrors;
        int d = 0;
        int i = 0;
        TerminalProgress? progress = TerminalProgress.OnTerminal(error, "fasttotem decode: datagram");
        while (d < datagrams.Count || i < icmpErrors.Count)
        {
            progress?.Report(d, datagrams.Count);
            // Both lists are in frame order; merge them so the output is too.
            if (i < icmpErrors.Count && (d == datagrams.Count || icmpErrors[i].Frame < datagrams[d].Frame))
            {
                CapturedIcmp icmp = icmpErrors[i++];
                if (ports.Contains(icmp.QuotedDestinationPort) || ports.Contains(icmp.QuotedSourcePort))
                {
                    DecodedFields icmpFields = decoder.DecodeIcmp(icmp);
                    output.WriteLine(options.Json ? DecodeJsonFormatter.Format(icmpFields) : DecodeTextFormatter.Format(icmpFields));
                }

                continue;
            }

            CapturedDatagram datagram = datagrams[d++];
            if (!ports.Contains(datagram.DestinationPort))
            {
                continue;
            }

            DecodedFields fields = decoder.Decode(datagram);
            output.WriteLine(options.Json ? DecodeJsonFormatter.Format(fields) : DecodeTextFormatter.Format(fields));
        }

        progress?.Clear();
        decoder.FinishKnet();
        int decoded = decoder.DatagramCount - decoder.UndecodableCount;
        string portText = options.Ports.Count == 1
            ? string.Create(CultureInfo.InvariantCulture, $"port {options.Ports[0]}")
            : "ports " + PortRangeText(options.Ports);
        error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"fasttotem decode: {decoder.DatagramCount} Totem datagrams on {portText} ({decoder.CopyCount} copies), {decoded} decoded, {decoder.UndecodableCount} undecodable; {contents.FrameCount} frames read"));
        KnetDecodeCounts knet = decoder.Knet;
        if (knet.Packets > 0)
        {
            error.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"fasttotem decode: knet: {knet.Packets} packets (DATA {knet.Data}, PING {knet.Ping}, PONG {knet.Pong}, PMTUD {knet.Pmtud}, PMTUD_REPLY {knet.PmtudReply}); {knet.Fragments} fragments, {knet.Payloads} payloads ({knet.Compressed} compressed, {knet.ReassembliesIncomplete} incomplete, {knet.ReassembliesEvicted} evicted); crypto verified {knet.CryptoVerified}, failed {knet.CryptoFailed}, clear {knet.Clear}; {knet.Undecodable} undecodable"));
        }

        if (knet.Icmp > 0)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fasttotem decode: {knet.Icmp} ICMP errors about datagrams on {portText}"));
        }

        return decoder.UndecodableCount == 0 && knet.Undecodable == 0 ? ExitOk : ExitUndecodable;
    }

    private static string PortRangeText(IReadOnlyList<int> ports)
    {
        bool contiguous = true;
        for (int p = 1; p < ports.Count; p++)
        {
            contiguous &= ports[p] == ports[p - 1] + 1;
        }

        return contiguous
            ? string.Create(CultureInfo.InvariantCulture, $"{ports[0]}-{ports[^1]}")
            : string.Join(',', ports);
    }

    /// <summary>
    /// Decodes one datagram sent to a decoded port: a Totem datagram (udpu/udp) or a knet packet (clear, or sealed
    /// with a key given to <see cref="AddAuthKey"/>), told apart by their bytes. Never throws on bad bytes: the
    /// result carries "error".
    /// </summary>
    public DecodedFields Decode(CapturedDatagram datagram)
    {
        var fields = new DecodedFields();
        fields.Set("frame", datagram.Frame);
        fields.Set("time", (datagram.TimestampNs - _originNs) / 1e9);
        fields.Set("src", Endpoint(datagram.Source, datagram.SourcePort));
        fields.Set("dst", Endpoint(datagram.Destination, datagram.DestinationPort));
        fields.Set("type", "unknown");
        fields.Set("len", datagram.Payload.Length);
        if (datagram.FragmentCount > 1)
        {
            fields.Set("ip_fragments", datagram.FragmentCount);
        }

        if (!TryDecodeKnet(datagram, fields, out DecodeFailure failure))
        {
            DatagramCount++;
            failure = DecodeSrp(datagram.Payload, fields);
        }

        if (failure.Error != WireError.None)
        {
            if (failure.Layer.StartsWith("knet", StringComparison.Ordinal))
            {
                Knet.Undecodable++;
            }
            else
            {
                UndecodableCount++;
            }

            fields.Set("error", failure.Error.ToString());
            fields.Set("error_at", failure.Layer);
        }

        return fields;
    }

    /// <summary>Where decoding stopped, and why.</summary>
    private readonly record struct DecodeFailure(WireError Error, string Layer)
    {
        public static readonly DecodeFailure None = new(WireError.None, "");
    }

    private static string Endpoint(System.Net.IPAddress address, int port) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{address}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{address}:{port}");

    /// <summary>Bytes as text: printable ASCII kept, anything else as \xNN.</summary>
    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b is >= 0x20 and < 0x7F && b != (byte)'\\')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }
        }

        return text.ToString();
    }

    internal static string TypeName(MessageType type) => type switch
    {
        MessageType.OrfToken => "orf_token",
        MessageType.Mcast => "mcast",
        MessageType.MembMergeDetect => "merge_detect",
        MessageType.MembJoin => "join",
        MessageType.MembCommitToken => "commit_token",
        MessageType.TokenHoldCancel => "token_hold_cancel",
        _ => "unknown",
    };
}
