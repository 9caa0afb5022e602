using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastTotem.Capture;
using FastTotem.Protocol.Knet.Crypto;
using FastTotem.Protocol.Pg;
using FastTotem.Wire;
using FastTotem.Wire.Knet;

namespace FastTotem.Diagnostics;

/// <summary>
/// A seeded mutation fuzzer over every network decoder: the SRP codecs of all six types, the totempg
/// packet parser and (stateful) assembler, the group header, and the sync, cmap, CPG and votequorum decoders, plus the whole
/// <see cref="TotemCaptureDecoder"/> on a sample of inputs; given knet packets too, the knet codec, knet crypto opening
/// and the capture decoder's knet path (docs/knet.md). Shared by the test project (a short run) and
/// <c>FastTotem.Benchmarks fuzz N</c> (a long one).
/// </summary>
/// <remarks>
/// Inputs are golden packets from the captures, mutated (bit flips, truncation, extension, count fields
/// set to large values, splices of two packets, foreign-endian magic, another type byte), plus random
/// buffers. Each input is decoded three times: as an exact-length slice of an arena whose surrounding
/// bytes are one canary pattern, again inside a second arena with a different canary, and as a freshly
/// allocated exact-size array. A decoder that reads outside its span sees different canaries, so the
/// fingerprints of the decoded results differ; one that writes changes the input or the canaries; a
/// managed out-of-range access throws. Each of these, and any escaping exception, is a failure.
/// </remarks>
internal sealed class DecoderFuzzer
{
    /// <summary>Canary bytes kept on each side of the input.</summary>
    private const int Guard = 4096;

    /// <summary>Largest input; seeds are datagrams (≤ 64 KiB) and the pieces inside them.</summary>
    private const int InputMax = WireLimits.FrameSizeMax + 1024;

    private const int FailuresKept = 10;

    /// <summary>Run the whole capture decoder on one datagram-level input in this many.</summary>
    private const int FullDecodeEvery = 8;

    private static readonly uint[] LargeValues =
    [
        0xFF, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x8000, 0x7FFF, 31, 30, 385, 384, 129, 128, 256, 255, 1401, 65536, 1048576,
    ];

    // Offsets of count and length fields (docs/wire-format.md §5, §7, §10–§13), tried more often than random ones.
    private static readonly int[] DatagramCountOffsets = [53, 21, 25, 33, 37, 45 + 4, 45 + 5, 45 + 6, 45 + 8, 45 + 10, 45 + 12, 45 + 45 + 6, 45 + 45 + 8];
    private static readonly int[] PgCountOffsets = [4, 5, 6, 8, 10, 12, 14];
    private static readonly int[] GroupCountOffsets = [0, 2, 4];
    private static readonly int[] ServiceCountOffsets = [0, 8, 16, 20, 24, 32, 48, 152, 160, 176, 48 + 0, 48 + 264, 48 + 272, 24 + 8];

    // knet: version, type, host id, DATA seq/compress/frag_num/frag_seq/channel, PMTUD size, PING seq (docs/knet.md).
    private static readonly int[] KnetFieldOffsets = [0, 1, 2, 6, 7, 8, 11, 12, 13, 23];

    private readonly List<byte[]>[] _pools = [new(), new(), new(), new(), new()];
    private readonly int[][] _countOffsets = [DatagramCountOffsets, PgCountOffsets, GroupCountOffsets, ServiceCountOffsets, KnetFieldOffsets];
    private readonly int _levelCount;
    private readonly KnetCrypto? _knetCrypto;
    private readonly KnetCrypto? _knetHashOnly;
    private readonly byte[]? _knetKey;
    private readonly byte[] _knetOut = new byte[InputMax + KnetCrypto.OverheadMax];
    private TotemCaptureDecoder? _knetCaptureDecoder;
    private readonly Random _random;
    private readonly byte[] _arenaA = new byte[InputMax + (2 * Guard)];
    private readonly byte[] _arenaB = new byte[InputMax + (2 * Guard)];
    private readonly byte[] _work = new byte[InputMax];
    private readonly byte[] _other = new byte[InputMax];
    private readonly RtrItem[] _rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
    private readonly uint[] _listA = new uint[WireLimits.ProcessorCountMax];
    private readonly uint[] _listB = new uint[WireLimits.ProcessorCountMax];
    private readonly MembCommitTokenMembEntry[] _memb = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];
    private readonly long[] _hits = new long[(int)Decoder.Count];
    private readonly List<string> _failures = new();
    private readonly PgAssembler _assembler = new(senderCountMax: 3);
    private readonly CountingSink _sink = new();
    private TotemCaptureDecoder _captureDecoder = new(0);
    private long _failureCount;

    /// <summary>Levels of input: what the bytes are supposed to be.</summary>
    private enum Level
    {
        Datagram,
        PgPayload,
        GroupMessage,
        ServiceBody,
        KnetPacket,
    }

    /// <summary>The decoders whose successful decodes are counted, to show the fuzzer reaches them.</summary>
    internal enum Decoder
    {
        TotemHeader,
        OrfToken,
        Mcast,
        MergeDetect,
        Join,
        CommitToken,
        TokenHoldCancel,
        PgPacket,
        PgAssembler,
        GroupHeader,
        SyncBarrier,
        SyncServiceBuild,
        Cmap,
        CpgProcJoin,
        CpgJoinList,
        CpgMcast,
        CpgDownlist,
        CpgDownlistOld,
        CpgPartialMcast,
        VotequorumNodeInfo,
        VotequorumReconfigure,
        VotequorumQdeviceReg,
        VotequorumQdeviceReconfigure,
        CaptureDecoder,
        KnetHeader,
        KnetData,
        KnetPing,
        KnetPmtud,
        KnetCryptoOpen,
        KnetCaptureDecoder,
        Count,
    }

    /// <param name="goldenDatagrams">Totem datagrams (UDP payloads) to mutate; the pieces inside them
    /// (totempg payloads, group messages, service bodies) become seeds of their own.</param>
    /// <param name="seed">Seed of the mutation choices; the same seed replays the same inputs.</param>
    /// <param name="knetPackets">knet UDP payloads (clear or sealed with <paramref name="knetKey"/>), or null for none:
    /// then the inputs are exactly those of a run without knet.</param>
    /// <param name="knetKey">The authkey the sealed ones use (aes256/sha256, or hash-only sha256).</param>
    public DecoderFuzzer(IEnumerable<byte[]> goldenDatagrams, int seed, IEnumerable<byte[]>? knetPackets = null, byte[]? knetKey = null)
    {
        Seed = seed;
        _random = new Random(seed);
        var unique = new HashSet<string>();
        foreach (byte[] datagram in goldenDatagrams)
        {
            if (datagram.Length <= InputMax && unique.Add(Convert.ToBase64String(datagram)))
            {
                AddSeeds(datagram);
            }
        }

        if (_pools[(int)Level.Datagram].Count == 0)
        {
            throw new ArgumentException("no golden datagrams", nameof(goldenDatagrams));
        }

        foreach (byte[] packet in knetPackets ?? [])
        {
            if (packet.Length <= InputMax && unique.Add(Convert.ToBase64String(packet)))
            {
                _pools[(int)Level.KnetPacket].Add(packet);
            }
        }

        _levelCount = _pools[(int)Level.KnetPacket].Count > 0 ? 5 : 4;
        if (knetKey is not null)
        {
            _knetKey = knetKey;
            _knetCrypto = new KnetCrypto(KnetCipher.Aes256, KnetHash.Sha256, knetKey);
            _knetHashOnly = new KnetCrypto(KnetCipher.None, KnetHash.Sha256, knetKey);
        }
    }

    public int Seed { get; }

    public long Inputs { get; private set; }

    public long FailureCount => _failureCount;

    /// <summary>The first few failures, each with its iteration and input in hex.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>Successful decodes per decoder (see <see cref="Decoder"/>).</summary>
    public long Hits(Decoder decoder) => _hits[(int)decoder];

    public int SeedCount(int level) => _pools[level].Count;

    /// <summary>Runs <paramref name="count"/> more inputs.</summary>
    public void Run(long count)
    {
        for (long i = 0; i < count; i++)
        {
            int length = NextInput(out Level level);
            Check(level, length);
            Inputs++;
        }
    }

    /// <summary>A per-decoder summary, one line each.</summary>
    public string Summary()
    {
        var text = new System.Text.StringBuilder();
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"seed {Seed}: {Inputs} inputs, {FailureCount} failures; successful decodes:");
        for (int i = 0; i < (int)Decoder.Count; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $" {(Decoder)i}={_hits[i]}");
        }

        return text.ToString();
    }

    private void AddSeeds(byte[] datagram)
    {
        _pools[(int)Level.Datagram].Add(datagram);
        if (McastCodec.TryDecode(datagram, out McastHeader header, out ReadOnlySpan<byte> payload, out bool foreign) != WireError.None)
        {
            return;
        }

        if (header.IsEncapsulated && McastCodec.TryDecode(payload, out _, out payload, out foreign) != WireError.None)
        {
            return;
        }

        _pools[(int)Level.PgPayload].Add(payload.ToArray());
        if (PgPacket.TryParse(payload, foreign, out PgPacketView packet) != WireError.None)
        {
            return;
        }

        // A rough per-sender reassembly, good enough to turn fragmented messages (every cpg downlist)
        // into seeds too; copies of the same mcast are skipped by the caller's de-duplication.
        if (!_seedAssembly.TryGetValue(header.Header.NodeId, out List<byte>? partial))
        {
            partial = new List<byte>();
            _seedAssembly.Add(header.Header.NodeId, partial);
        }

        int offset = 0;
        for (int i = 0; i < packet.Count; i++)
        {
            int length = packet.LengthAt(i);
            ReadOnlySpan<byte> entry = packet.Data.Slice(offset, length);
            offset += length;
            bool continues = i == 0 && packet.Continuation != 0;
            bool incomplete = i == packet.Count - 1 && packet.Fragmented != 0;
            if (!continues)
            {
                partial.Clear();
            }

            partial.AddRange(entry);
            if (incomplete || partial.Count > InputMax)
            {
                continue;
            }

            byte[] message = partial.ToArray();
            partial.Clear();
            _pools[(int)Level.GroupMessage].Add(message);
            if (PgGroupHeader.TryParse(message, foreign, out PgGroupHeaderView groups) == WireError.None)
            {
                _pools[(int)Level.ServiceBody].Add(groups.Payload.ToArray());
            }
        }
    }

    private readonly Dictionary<uint, List<byte>> _seedAssembly = new();

    /// <summary>Builds the next input in <see cref="_work"/>; returns its length.</summary>
    private int NextInput(out Level level)
    {
        level = (Level)_random.Next(_levelCount);
        List<byte[]> pool = _pools[(int)level];
        if (pool.Count == 0 || _random.Next(16) == 0)
        {
            return RandomBuffer(level);
        }

        byte[] seed = pool[_random.Next(pool.Count)];
        seed.CopyTo(_work, 0);
        int length = seed.Length;
        int mutations = 1 + _random.Next(3);
        for (int m = 0; m < mutations; m++)
        {
            length = Mutate(level, pool, length);
        }

        return length;
    }

    private int RandomBuffer(Level level)
    {
        int length = _random.Next(level == Level.ServiceBody ? 1700 : 1600);
        _random.NextBytes(_work.AsSpan(0, length));
        if (level == Level.Datagram && length >= 4 && _random.Next(2) == 0)
        {
            _work[0] = 0x70;
            _work[1] = 0xC0;
            _work[2] = 3;
            _work[3] = (byte)_random.Next(6);
        }

        if (level == Level.KnetPacket && length >= 2 && _random.Next(2) == 0)
        {
            _work[0] = KnetHeader.CurrentVersion;
            _work[1] = (byte)(_random.Next(5) switch { 0 => KnetPacketType.Data, 1 => KnetPacketType.Ping, 2 => KnetPacketType.Pong, 3 => KnetPacketType.Pmtud, _ => KnetPacketType.PmtudReply });
        }

        return length;
    }

    private int Mutate(Level level, List<byte[]> pool, int length)
    {
        switch (_random.Next(8))
        {
            case 0:
            case 1:
            {
                // Bit flips.
                int flips = 1 + _random.Next(8);
                for (int i = 0; i < flips && length > 0; i++)
                {
                    _work[_random.Next(length)] ^= (byte)(1 << _random.Next(8));
                }

                return length;
            }

            case 2:
                // Truncation.
                return length == 0 ? 0 : _random.Next(length);
            case 3:
            {
                // Extension with random bytes.
                int extra = Math.Min(_random.Next(64), InputMax - length);
                _random.NextBytes(_work.AsSpan(length, extra));
                return length + extra;
            }

            case 4:
            case 5:
            {
                // A count or length field set to a large value, at a known offset or a random one.
                int[] offsets = _countOffsets[(int)level];
                int offset = _random.Next(3) != 0 ? offsets[_random.Next(offsets.Length)] : (length > 0 ? _random.Next(length) : 0);
                uint value = _random.Next(4) == 0 ? (uint)_random.Next() : LargeValues[_random.Next(LargeValues.Length)];
                int width = _random.Next(3) switch { 0 => 1, 1 => 2, _ => 4 };
                for (int b = 0; b < width && offset + b < length; b++)
                {
                    _work[offset + b] = (byte)(value >> (8 * b));
                }

                return length;
            }

            case 6:
            {
                // Splice: a prefix of this input and a suffix of another seed of the same level.
                byte[] donor = pool[_random.Next(pool.Count)];
                int cut = length == 0 ? 0 : _random.Next(length);
                int from = donor.Length == 0 ? 0 : _random.Next(donor.Length);
                int take = Math.Min(donor.Length - from, InputMax - cut);
                donor.AsSpan(from, take).CopyTo(_other);
                _other.AsSpan(0, take).CopyTo(_work.AsSpan(cut));
                return cut + take;
            }

            default:
                if (level == Level.Datagram && length >= 4)
                {
                    // The other byte order, or another message type behind the same body.
                    if (_random.Next(2) == 0)
                    {
                        _work[0] = 0x70;
                        _work[1] = 0xC0;
                    }
                    else
                    {
                        _work[3] = (byte)_random.Next(7);
                    }
                }
                else if (length > 0)
                {
                    _work[_random.Next(length)] = (byte)_random.Next(256);
                }

                return length;
        }
    }

    private void Check(Level level, int length)
    {
        ReadOnlySpan<byte> input = _work.AsSpan(0, length);
        ulong a;
        ulong b;
        ulong c;
        try
        {
            a = DecodeInArena(_arenaA, 0xA5, level, input);
            b = DecodeInArena(_arenaB, 0x3C, level, input);
            byte[] exact = input.ToArray();
            c = DecodeAll(level, exact, count: true);
            if (!input.SequenceEqual(exact))
            {
                Fail(level, input, "a decoder wrote into its input");
                return;
            }

            if (level == Level.Datagram && Inputs % FullDecodeEvery == 0)
            {
                FullDecode(exact);
            }

            if (level == Level.KnetPacket && Inputs % 2 == 0)
            {
                FullDecodeKnet(exact);
            }

            if (level == Level.PgPayload)
            {
                Assemble(exact);
            }
        }
        catch (Exception e)
        {
            Fail(level, input, $"{e.GetType().Name}: {e.Message}");
            return;
        }

        if (a != b || a != c)
        {
            Fail(level, input, "results depend on the bytes around the input (out-of-bounds read)");
        }
    }

    private ulong DecodeInArena(byte[] arena, byte canary, Level level, ReadOnlySpan<byte> input)
    {
        Span<byte> head = arena.AsSpan(0, Guard);
        Span<byte> body = arena.AsSpan(Guard, input.Length);
        Span<byte> tail = arena.AsSpan(Guard + input.Length, Guard);
        head.Fill(canary);
        tail.Fill(canary);
        input.CopyTo(body);
        ulong fingerprint = DecodeAll(level, body, count: false);
        if (head.IndexOfAnyExcept(canary) >= 0 || tail.IndexOfAnyExcept(canary) >= 0 || !body.SequenceEqual(input))
        {
            Fail(level, input, "a decoder wrote outside or into its input");
        }

        return fingerprint;
    }

    /// <summary>
    /// The stateful totempg assembler, fed every payload-level input from one of three senders in
    /// either byte order, with configuration changes and transitional periods now and then.
    /// </summary>
    private void Assemble(byte[] payload)
    {
        uint sender = (uint)(1 + _random.Next(3));
        switch (_random.Next(64))
        {
            case 0:
                _assembler.HandleConfigurationChange([sender]);
                break;
            case 1:
                // The phase's two moments that move totempg's side: a regular configuration, or a sync's trans ack.
                if (_random.Next(2) == 0)
                {
                    _assembler.Phase.RegularConfigurationDelivered();
                }
                else
                {
                    _assembler.Phase.TransAck(ringIsCurrent: false);
                }

                break;
        }

        PgReceiveResult result = _assembler.HandlePacket(sender, payload, _random.Next(8) == 0, _sink);
        // Counted when the packet got past validation into the reassembly rules (accepted or thrown away).
        if (result is PgReceiveResult.Accepted or PgReceiveResult.ThrownAway)
        {
            _hits[(int)Decoder.PgAssembler]++;
        }

        if ((uint)_assembler.BufferedBytes(sender) > PgAssembler.AssemblyCapacity)
        {
            Fail(Level.PgPayload, payload, "the assembler holds more than its capacity");
        }
    }

    /// <summary>Reads every byte of each delivered message, so a bad span would throw here.</summary>
    private sealed class CountingSink : IPgMessageSink
    {
        public long Bytes;

        public void OnMessage(uint nodeId, ReadOnlySpan<byte> message, bool foreignEndian)
        {
            foreach (byte b in message)
            {
                Bytes += b;
            }
        }
    }

    /// <summary>The whole capture decoder, which must turn any datagram into fields without throwing.</summary>
    private void FullDecode(byte[] datagram)
    {
        // A fresh decoder now and then keeps its copy set and reassembly state bounded: every sender
        // nodeid that leaves a fragment behind holds a 1 MiB + 64 KiB buffer in the assembler.
        if (Inputs % (FullDecodeEvery * 64) == 0)
        {
            _captureDecoder = new TotemCaptureDecoder(0);
        }

        var captured = new CapturedDatagram(1, 0, System.Net.IPAddress.Loopback, 1, System.Net.IPAddress.Loopback, 5405, datagram);
        DecodedFields fields = _captureDecoder.Decode(captured);
        _ = DecodeJsonFormatter.Format(fields);
        _ = DecodeTextFormatter.Format(fields);
        if (!fields.Contains("error"))
        {
            _hits[(int)Decoder.CaptureDecoder]++;
        }
    }

    /// <summary>The capture decoder's knet path (with the key when there is one): open, reassemble, inflate, decode.</summary>
    private void FullDecodeKnet(byte[] packet)
    {
        if (_knetCaptureDecoder is null || Inputs % 4096 == 0)
        {
            _knetCaptureDecoder = new TotemCaptureDecoder(0);
            if (_knetKey is not null)
            {
                _knetCaptureDecoder.AddAuthKey(_knetKey);
            }
        }

        var captured = new CapturedDatagram(1, 0, System.Net.IPAddress.Loopback, 5405, System.Net.IPAddress.Loopback, 5405, packet);
        DecodedFields fields = _knetCaptureDecoder.Decode(captured);
        _ = DecodeJsonFormatter.Format(fields);
        _ = DecodeTextFormatter.Format(fields);
        if (!fields.Contains("error") && fields.Contains("knet"))
        {
            _hits[(int)Decoder.KnetCaptureDecoder]++;
        }
    }

    /// <summary>Every knet decoder on the input, and opening it with the key (which writes only to a separate buffer).</summary>
    private void DecodeKnet(ReadOnlySpan<byte> input, ref Fingerprint fp, bool count)
    {
        WireError error = KnetCodec.TryReadHeader(input, out KnetHeader header);
        fp.Add(error);
        fp.Add(header);
        Hit(Decoder.KnetHeader, error, count);

        error = KnetCodec.TryDecodeData(input, out KnetDataHeader data, out ReadOnlySpan<byte> user);
        fp.Add(error);
        fp.Add(data);
        fp.Add(user);
        Hit(Decoder.KnetData, error, count);

        error = KnetCodec.TryDecodePing(input, out KnetPing ping);
        fp.Add(error);
        fp.Add(ping);
        Hit(Decoder.KnetPing, error, count);
        error = KnetCodec.TryWritePong(input, 9, _knetOut, out int written);
        fp.Add(error);
        fp.Add(_knetOut.AsSpan(0, written));

        error = KnetCodec.TryDecodePmtud(input, out KnetPmtud pmtud, out int padding);
        fp.Add(error);
        fp.Add(pmtud);
        fp.Add(padding);
        Hit(Decoder.KnetPmtud, error, count);
        error = KnetCodec.TryWritePmtudReply(input, 9, _knetOut, out written);
        fp.Add(error);
        fp.Add(_knetOut.AsSpan(0, written));

        foreach (KnetCrypto? crypto in new[] { _knetCrypto, _knetHashOnly })
        {
            if (crypto is null)
            {
                continue;
            }

            KnetCryptoStatus status = crypto.Open(input, _knetOut, out written);
            fp.Add(status);
            fp.Add(_knetOut.AsSpan(0, written));
            if (count && status == KnetCryptoStatus.Ok)
            {
                _hits[(int)Decoder.KnetCryptoOpen]++;
            }
        }
    }

    private void Fail(Level level, ReadOnlySpan<byte> input, string what)
    {
        _failureCount++;
        if (_failures.Count < FailuresKept)
        {
            string hex = Convert.ToHexString(input.Length > 256 ? input[..256] : input);
            _failures.Add($"seed {Seed} input {Inputs} ({level}, {input.Length} bytes): {what}; bytes {hex}{(input.Length > 256 ? "..." : "")}");
        }
    }

    private ulong DecodeAll(Level level, ReadOnlySpan<byte> input, bool count)
    {
        var fp = new Fingerprint();
        switch (level)
        {
            case Level.Datagram:
                DecodeDatagram(input, ref fp, count);
                break;
            case Level.PgPayload:
                DecodePg(input, false, ref fp, count);
                DecodePg(input, true, ref fp, count);
                break;
            case Level.GroupMessage:
                DecodeGroup(input, false, ref fp, count);
                DecodeGroup(input, true, ref fp, count);
                break;
            case Level.KnetPacket:
                DecodeKnet(input, ref fp, count);
                break;
            default:
                DecodeService(input, false, ref fp, count);
                DecodeService(input, true, ref fp, count);
                break;
        }

        return fp.Value;
    }

    private void Hit(Decoder decoder, WireError error, bool count)
    {
        if (count && error == WireError.None)
        {
            _hits[(int)decoder]++;
        }
    }

    private void DecodeDatagram(ReadOnlySpan<byte> input, ref Fingerprint fp, bool count)
    {
        WireError error = TotemDatagram.TryParse(input, out TotemHeader header, out bool foreign);
        fp.Add(error);
        fp.Add(header);
        fp.Add(foreign);
        Hit(Decoder.TotemHeader, error, count);

        error = OrfTokenCodec.TryDecode(input, out OrfToken token, _rtr);
        fp.Add(error);
        Hit(Decoder.OrfToken, error, count);
        if (error == WireError.None)
        {
            fp.Add(token);
            fp.Add(MemoryMarshal.AsBytes(_rtr.AsSpan(0, token.RtrListEntries)));
        }

        error = McastCodec.TryDecode(input, out McastHeader mcast, out ReadOnlySpan<byte> payload, out bool mcastForeign);
        fp.Add(error);
        Hit(Decoder.Mcast, error, count);
        if (error == WireError.None)
        {
            fp.Add(mcast);
            if (mcast.IsEncapsulated)
            {
                error = McastCodec.TryDecode(payload, out mcast, out payload, out mcastForeign);
                fp.Add(error);
                fp.Add(mcast);
            }

            if (error == WireError.None)
            {
                DecodePg(payload, mcastForeign, ref fp, count);
            }
        }

        error = MembMergeDetectCodec.TryDecode(input, out MembMergeDetect merge);
        fp.Add(error);
        fp.Add(merge);
        Hit(Decoder.MergeDetect, error, count);

        error = MembJoinCodec.TryDecode(input, out MembJoin join, _listA, _listB);
        fp.Add(error);
        Hit(Decoder.Join, error, count);
        if (error == WireError.None)
        {
            fp.Add(join);
            fp.Add(MemoryMarshal.AsBytes(_listA.AsSpan(0, (int)join.ProcListEntries)));
            fp.Add(MemoryMarshal.AsBytes(_listB.AsSpan(0, (int)join.FailedListEntries)));
        }

        error = MembCommitTokenCodec.TryDecode(input, out MembCommitToken commit, _listA, _memb);
        fp.Add(error);
        Hit(Decoder.CommitToken, error, count);
        if (error == WireError.None)
        {
            fp.Add(commit);
            fp.Add(MemoryMarshal.AsBytes(_listA.AsSpan(0, commit.AddrEntries)));
            fp.Add(MemoryMarshal.AsBytes(_memb.AsSpan(0, commit.AddrEntries)));
        }

        error = TokenHoldCancelCodec.TryDecode(input, out TokenHoldCancel cancel);
        fp.Add(error);
        fp.Add(cancel);
        Hit(Decoder.TokenHoldCancel, error, count);
    }

    private void DecodePg(ReadOnlySpan<byte> input, bool foreign, ref Fingerprint fp, bool count)
    {
        WireError error = PgPacket.TryParse(input, foreign, out PgPacketView packet);
        fp.Add(error);
        Hit(Decoder.PgPacket, error, count);
        if (error != WireError.None)
        {
            return;
        }

        fp.Add(packet.Header);
        ReadOnlySpan<byte> data = packet.Data;
        int offset = 0;
        for (int i = 0; i < packet.Count; i++)
        {
            int length = packet.LengthAt(i);
            fp.Add(length);
            DecodeGroup(data.Slice(offset, length), foreign, ref fp, count);
            offset += length;
        }
    }

    private void DecodeGroup(ReadOnlySpan<byte> input, bool foreign, ref Fingerprint fp, bool count)
    {
        WireError error = PgGroupHeader.TryParse(input, foreign, out PgGroupHeaderView groups);
        fp.Add(error);
        Hit(Decoder.GroupHeader, error, count);
        if (error != WireError.None)
        {
            return;
        }

        fp.Add(groups.Count);
        fp.Add(groups.HeaderLength);
        for (int i = 0; i < groups.Count; i++)
        {
            fp.Add(groups.NameAt(i));
        }

        fp.Add(groups.Contains("a"u8));
        fp.Add(groups.Contains("sync"u8));
        DecodeService(groups.Payload, foreign, ref fp, count);
    }

    private void DecodeService(ReadOnlySpan<byte> input, bool foreign, ref Fingerprint fp, bool count)
    {
        fp.Add(QbIpcRequestHeader.TryReadId(input, foreign, out int id));
        fp.Add(id);

        WireError error = SyncBarrierMessage.TryRead(input, out SyncBarrierMessage barrier);
        fp.Add(error);
        fp.Add(barrier);
        Hit(Decoder.SyncBarrier, error, count);

        error = SyncServiceBuildMessage.TryRead(input, out SyncServiceBuildMessage build);
        fp.Add(error);
        Hit(Decoder.SyncServiceBuild, error, count);
        if (error == WireError.None)
        {
            fp.Add(MemoryMarshal.AsBytes(build.Services));
        }

        error = CmapMcastHeader.TryRead(input, foreign, out CmapMcastHeader cmap);
        fp.Add(error);
        Hit(Decoder.Cmap, error, count);
        if (error == WireError.None)
        {
            fp.Add(cmap);
            Span<byte> scratch = stackalloc byte[8];
            int offset = CmapMcastHeader.Size;
            for (int i = 0; i < cmap.NoItems; i++)
            {
                error = CmapMcastHeader.TryReadItem(input, ref offset, foreign, scratch, out CmapMcastItemHeader item, out ReadOnlySpan<byte> value);
                fp.Add(error);
                if (error != WireError.None)
                {
                    break;
                }

                fp.Add(item.Key);
                fp.Add(item.ValueType);
                fp.Add(value);
            }
        }

        error = CpgProcJoinMessage.TryRead(input, foreign, out CpgProcJoinMessage procJoin);
        fp.Add(error);
        Hit(Decoder.CpgProcJoin, error, count);
        if (error == WireError.None)
        {
            fp.Add(procJoin.GroupName.Name);
            fp.Add(procJoin.Pid);
        }

        error = CpgJoinList.TryParse(input, foreign, out QbIpcResponseHeader joinHeader, out int entries);
        fp.Add(error);
        Hit(Decoder.CpgJoinList, error, count);
        if (error == WireError.None)
        {
            fp.Add(joinHeader);
            for (int i = 0; i < entries; i++)
            {
                error = CpgJoinList.TryReadEntry(input, i, foreign, out CpgJoinListEntry entry);
                fp.Add(error);
                if (error == WireError.None && entry.GroupName.IsValid)
                {
                    fp.Add(entry.Pid);
                    fp.Add(entry.GroupName.Name);
                }
            }
        }

        error = CpgMcastMessage.TryRead(input, foreign, out CpgMcastMessage cpgMcast, out ReadOnlySpan<byte> data);
        fp.Add(error);
        Hit(Decoder.CpgMcast, error, count);
        if (error == WireError.None)
        {
            fp.Add(cpgMcast.GroupName.Name);
            fp.Add(data);
        }

        error = CpgDownlistMessage.TryRead(input, foreign, out CpgDownlistMessage downlist);
        fp.Add(error);
        Hit(Decoder.CpgDownlist, error, count);
        if (error == WireError.None)
        {
            fp.Add(MemoryMarshal.AsBytes(downlist.Left));
        }

        error = CpgDownlistOldMessage.TryRead(input, out CpgDownlistOldMessage downlistOld);
        fp.Add(error);
        Hit(Decoder.CpgDownlistOld, error, count);
        if (error == WireError.None)
        {
            fp.Add(downlistOld.LeftNodes);
        }

        error = CpgPartialMcastMessage.TryRead(input, foreign, out CpgPartialMcastMessage partial, out ReadOnlySpan<byte> piece);
        fp.Add(error);
        Hit(Decoder.CpgPartialMcast, error, count);
        if (error == WireError.None)
        {
            fp.Add(partial.GroupName.Name);
            fp.Add(piece);
        }

        error = VotequorumNodeInfoMessage.TryRead(input, foreign, out VotequorumNodeInfoMessage nodeInfo);
        fp.Add(error);
        fp.Add(nodeInfo);
        Hit(Decoder.VotequorumNodeInfo, error, count);

        error = VotequorumReconfigureMessage.TryRead(input, foreign, out VotequorumReconfigureMessage reconfigure);
        fp.Add(error);
        fp.Add(reconfigure);
        Hit(Decoder.VotequorumReconfigure, error, count);

        error = VotequorumQdeviceRegMessage.TryRead(input, foreign, out VotequorumQdeviceRegMessage qdeviceReg);
        fp.Add(error);
        fp.Add(qdeviceReg);
        Hit(Decoder.VotequorumQdeviceReg, error, count);

        error = VotequorumQdeviceReconfigureMessage.TryRead(input, out VotequorumQdeviceReconfigureMessage qdeviceReconfigure);
        fp.Add(error);
        fp.Add(qdeviceReconfigure);
        Hit(Decoder.VotequorumQdeviceReconfigure, error, count);
    }

    /// <summary>FNV-1a over everything the decoders returned.</summary>
    private struct Fingerprint
    {
        private ulong _hash;

        public readonly ulong Value => _hash;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            ulong hash = _hash == 0 ? 14695981039346656037UL : _hash;
            foreach (byte b in bytes)
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            _hash = (hash ^ (ulong)bytes.Length) * 1099511628211UL;
        }

        public void Add<T>(T value)
            where T : unmanaged => Add(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value)));
    }
}
