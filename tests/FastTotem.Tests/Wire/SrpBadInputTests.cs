using System.Buffers.Binary;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Malformed datagrams give the expected <see cref="WireError"/>, never an exception.</summary>
public class SrpBadInputTests
{
    public static TheoryData<string> WorkedExamples() => SrpWorkedDecodeTests.WorkedExamples();

    /// <summary>The shortest prefix that passes the fixed-part check for this type (docs/wire-format.md §3.1).</summary>
    private static int FixedLength(byte[] datagram) => (MessageType)datagram[3] switch
    {
        MessageType.OrfToken => 57,
        MessageType.Mcast => datagram[4] == TotemHeader.Encapsulated ? 45 + 45 : 45,
        MessageType.MembMergeDetect => 29,
        MessageType.MembJoin => 33,
        MessageType.MembCommitToken => 41,
        MessageType.TokenHoldCancel => 25,
        _ => throw new ArgumentException("type"),
    };

    [Theory]
    [MemberData(nameof(WorkedExamples))]
    public void TruncatedAtEveryLength(string name)
    {
        byte[] full = SrpWorkedDecodeTests.Example(name);
        bool isMcast = full[3] == (byte)MessageType.Mcast;
        for (int length = 0; length <= full.Length; length++)
        {
            byte[] prefix = full.AsSpan(0, length).ToArray();
            WireError expected =
                length < 13 || length < FixedLength(full) ? WireError.Truncated
                : isMcast || length == full.Length ? WireError.None
                : WireError.CountBeyondPacket;
            WireError actual = SrpText.TryRender(prefix, out _);
            Assert.True(expected == actual, $"{name} cut to {length} bytes: expected {expected}, got {actual}");
        }
    }

    [Theory]
    [InlineData(0xff, 0xff)] // corosync 2.2
    [InlineData(0xfe, 0xfe)] // corosync 2.3+
    [InlineData(0x01, 0x00)] // knet
    [InlineData(0x70, 0xc1)]
    [InlineData(0x00, 0x00)]
    public void BadMagic(byte first, byte second)
    {
        byte[] datagram = SrpWorkedDecodeTests.A40Token.ToArray();
        datagram[0] = first;
        datagram[1] = second;
        Assert.Equal(WireError.BadMagic, TotemDatagram.TryParse(datagram, out _, out _));
        Assert.Equal(WireError.BadMagic, OrfTokenCodec.TryDecode(datagram, out _, new RtrItem[30]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(0)]
    public void WrongVersion(byte version)
    {
        byte[] datagram = SrpWorkedDecodeTests.A1Join.ToArray();
        datagram[2] = version;
        Assert.Equal(WireError.BadVersion, TotemDatagram.TryParse(datagram, out _, out _));
        Assert.Equal(WireError.BadVersion, SrpText.TryRender(datagram, out _));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(0x7f)]
    [InlineData(0xff)]
    public void UnknownType(byte type)
    {
        byte[] datagram = SrpWorkedDecodeTests.D14HoldCancel.ToArray();
        datagram[3] = type;
        Assert.Equal(WireError.UnknownType, TotemDatagram.TryParse(datagram, out _, out _));
        Assert.Equal(WireError.UnknownType, ForeignTypeCheck(ForeignEndianTwin.Build(SrpWorkedDecodeTests.D14HoldCancel), type));
    }

    private static WireError ForeignTypeCheck(byte[] twin, byte type)
    {
        twin[3] = type;
        return TotemDatagram.TryParse(twin, out _, out _);
    }

    [Fact]
    public void CodecHandedAnotherTypeSaysUnknownType()
    {
        Assert.Equal(WireError.UnknownType, OrfTokenCodec.TryDecode(SrpWorkedDecodeTests.A1Join, out _, new RtrItem[30]));
        Assert.Equal(WireError.UnknownType, MembJoinCodec.TryDecode(SrpWorkedDecodeTests.A40Token, out _, new uint[384], new uint[384]));
        Assert.Equal(WireError.UnknownType, McastCodec.TryDecode(SrpWorkedDecodeTests.A16MergeDetect, out _, out _, out _));
        Assert.Equal(WireError.UnknownType, MembMergeDetectCodec.TryDecode(SrpWorkedDecodeTests.D14HoldCancel, out _));
        Assert.Equal(WireError.UnknownType, TokenHoldCancelCodec.TryDecode(SrpWorkedDecodeTests.A16MergeDetect, out _));
        Assert.Equal(WireError.UnknownType, MembCommitTokenCodec.TryDecode(SrpWorkedDecodeTests.A40Token, out _, new uint[384], new MembCommitTokenMembEntry[384]));
    }

    [Fact]
    public void OversizeTokenIsTooLong()
    {
        // A token claiming 30 items fits; the same token padded past 1500 bytes is dropped.
        byte[] datagram = new byte[1501];
        SrpWorkedDecodeTests.F35Token.CopyTo(datagram, 0);
        Assert.Equal(WireError.TooLong, OrfTokenCodec.TryDecode(datagram, out _, new RtrItem[30]));
        Assert.Equal(WireError.None, OrfTokenCodec.TryDecode(datagram.AsSpan(0, 1500), out OrfToken token, new RtrItem[30]));
        Assert.Equal(1, token.RtrListEntries);
    }

    [Theory]
    [InlineData(31, WireError.CountTooLarge)]
    [InlineData(-1, WireError.CountTooLarge)]
    [InlineData(int.MaxValue, WireError.CountTooLarge)]
    [InlineData(2, WireError.CountBeyondPacket)]
    [InlineData(30, WireError.CountBeyondPacket)]
    public void TokenWithLyingRtrCount(int count, object expectedArg)
    {
        WireError expected = (WireError)expectedArg;
        byte[] datagram = SrpWorkedDecodeTests.F35Token.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(datagram.AsSpan(53), count);
        Assert.Equal(expected, OrfTokenCodec.TryDecode(datagram, out _, new RtrItem[30]));

        byte[] twin = ForeignEndianTwin.Build(SrpWorkedDecodeTests.F35Token);
        BinaryPrimitives.WriteInt32BigEndian(twin.AsSpan(53), count);
        Assert.Equal(expected, OrfTokenCodec.TryDecode(twin, out _, new RtrItem[30]));
    }

    [Fact]
    public void ScratchTooSmallIsReportedNotThrown()
    {
        Assert.Equal(WireError.DestinationTooSmall, OrfTokenCodec.TryDecode(SrpWorkedDecodeTests.F35Token, out _, Span<RtrItem>.Empty));
        Assert.Equal(WireError.DestinationTooSmall, MembJoinCodec.TryDecode(SrpWorkedDecodeTests.G11Leave, out _, new uint[2], new uint[0]));
        Assert.Equal(WireError.DestinationTooSmall, MembCommitTokenCodec.TryDecode(SrpWorkedDecodeTests.A36Commit, out _, new uint[2], new MembCommitTokenMembEntry[1]));
    }

    [Theory]
    [InlineData(385u, 0u, WireError.CountTooLarge)]
    [InlineData(0u, 385u, WireError.CountTooLarge)]
    [InlineData(uint.MaxValue, uint.MaxValue, WireError.CountTooLarge)]
    [InlineData(3u, 1u, WireError.CountBeyondPacket)]
    [InlineData(384u, 384u, WireError.CountBeyondPacket)]
    [InlineData(1u, 1u, WireError.None)] // a shorter list with trailing bytes is accepted, as in corosync
    public void JoinWithLyingCounts(uint proc, uint failed, object expectedArg)
    {
        WireError expected = (WireError)expectedArg;
        byte[] datagram = SrpWorkedDecodeTests.G11Leave.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(17), proc);
        BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(21), failed);
        Assert.Equal(expected, MembJoinCodec.TryDecode(datagram, out _, new uint[384], new uint[384]));
    }

    [Theory]
    [InlineData(3, 1, WireError.CountBeyondPacket)]
    [InlineData(385, 1, WireError.CountTooLarge)]
    [InlineData(-1, 1, WireError.CountTooLarge)]
    [InlineData(2, 3, WireError.BadField)]
    [InlineData(2, -1, WireError.BadField)]
    [InlineData(1, 1, WireError.None)]
    public void CommitTokenWithLyingCounts(int addrEntries, int membIndex, object expectedArg)
    {
        WireError expected = (WireError)expectedArg;
        byte[] datagram = SrpWorkedDecodeTests.A36Commit.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(datagram.AsSpan(33), membIndex);
        BinaryPrimitives.WriteInt32LittleEndian(datagram.AsSpan(37), addrEntries);
        Assert.Equal(expected, MembCommitTokenCodec.TryDecode(datagram, out _, new uint[384], new MembCommitTokenMembEntry[384]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(0xff)]
    public void McastWithUndefinedEncapsulatedFlag(byte flag)
    {
        byte[] datagram = SrpWorkedDecodeTests.D171Mcast.ToArray();
        datagram[4] = flag;
        Assert.Equal(WireError.BadField, McastCodec.TryDecode(datagram, out _, out _, out _));
    }

    [Fact]
    public void EncapsulatedMcastWithBadInnerMessage()
    {
        byte[] nested = SrpWorkedDecodeTests.F1073Encapsulated.ToArray();
        nested[45 + 4] = TotemHeader.Encapsulated;
        Assert.Equal(WireError.BadField, McastCodec.TryDecode(nested, out _, out _, out _));

        byte[] badMagic = SrpWorkedDecodeTests.F1073Encapsulated.ToArray();
        badMagic[45] = 0xff;
        Assert.Equal(WireError.BadMagic, McastCodec.TryDecode(badMagic, out _, out _, out _));

        byte[] notMcast = SrpWorkedDecodeTests.F1073Encapsulated.ToArray();
        notMcast[45 + 3] = (byte)MessageType.OrfToken;
        Assert.Equal(WireError.UnknownType, McastCodec.TryDecode(notMcast, out _, out _, out _));

        byte[] badVersion = SrpWorkedDecodeTests.F1073Encapsulated.ToArray();
        badVersion[45 + 2] = 2;
        Assert.Equal(WireError.BadVersion, McastCodec.TryDecode(badVersion, out _, out _, out _));
    }

    [Fact]
    public void McastOverFrameSizeMaxIsTooLong()
    {
        byte[] datagram = new byte[WireLimits.FrameSizeMax + 1];
        SrpWorkedDecodeTests.D171Mcast.CopyTo(datagram, 0);
        Assert.Equal(WireError.TooLong, McastCodec.TryDecode(datagram, out _, out _, out _));
    }

    [Fact]
    public void EncodersReportSmallDestinations()
    {
        Span<byte> small = stackalloc byte[24];
        Assert.Equal(WireError.DestinationTooSmall, TokenHoldCancelCodec.TryEncode(default, small, out int written));
        Assert.Equal(0, written);
        Assert.Equal(WireError.DestinationTooSmall, MembMergeDetectCodec.TryEncode(default, small, out written));
        Assert.Equal(WireError.DestinationTooSmall, OrfTokenCodec.TryEncode(default, default, new byte[56], out written));
        Assert.Equal(WireError.DestinationTooSmall, OrfTokenCodec.TryEncode(default, new RtrItem[1], new byte[72], out written));
        Assert.Equal(WireError.DestinationTooSmall, MembJoinCodec.TryEncode(default, new uint[2], new uint[1], new byte[44], out written));
        Assert.Equal(WireError.DestinationTooSmall, MembCommitTokenCodec.TryEncode(default, new uint[2], new MembCommitTokenMembEntry[2], new byte[96], out written));
        var mcast = new McastHeader { Header = new TotemHeader(MessageType.Mcast, 1, TotemHeader.NotEncapsulated) };
        Assert.Equal(WireError.DestinationTooSmall, McastCodec.TryEncode(mcast, new byte[10], new byte[54], out written));
        Assert.Equal(0, written);
        Assert.Equal(WireError.None, McastCodec.TryEncode(mcast, new byte[10], new byte[55], out written));
        Assert.Equal(55, written);
    }

    [Fact]
    public void EncoderMisuseThrows()
    {
        Assert.Throws<ArgumentException>(() => OrfTokenCodec.TryEncode(default, new RtrItem[31], new byte[2000], out _));
        Assert.Throws<ArgumentException>(() => MembJoinCodec.TryEncode(default, new uint[385], default, new byte[4000], out _));
        Assert.Throws<ArgumentException>(() => MembCommitTokenCodec.TryEncode(default, new uint[2], new MembCommitTokenMembEntry[1], new byte[200], out _));
        Assert.Throws<ArgumentException>(() => MembCommitTokenCodec.TryEncode(new MembCommitToken { MembIndex = 3 }, new uint[2], new MembCommitTokenMembEntry[2], new byte[200], out _));
        Assert.Throws<ArgumentException>(() => McastCodec.TryEncode(default, default, new byte[100], out _)); // encapsulated 0
        var mcast = new McastHeader { Header = new TotemHeader(MessageType.Mcast, 1, TotemHeader.NotEncapsulated) };
        Assert.Throws<ArgumentException>(() => McastCodec.TryEncode(mcast, new byte[WireLimits.FrameSizeMax], new byte[WireLimits.FrameSizeMax + 45], out _));
    }

    [Fact]
    public void EncodersForceMagicVersionAndType()
    {
        var message = new TokenHoldCancel { Header = new TotemHeader { Magic = 1, Version = 9, Type = MessageType.OrfToken, NodeId = 4 }, RingId = new MembRingId(4, 8) };
        byte[] bytes = new byte[25];
        Assert.Equal(WireError.None, TokenHoldCancelCodec.TryEncode(message, bytes, out _));
        Assert.Equal(WireHex.Parse("70 c0 03 05 00 04000000 00000000 04000000 0800000000000000"), bytes);
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        int seed = Environment.GetEnvironmentVariable("FASTTOTEM_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        Console.WriteLine($"RandomBytesNeverThrow seed={seed}");
        var random = new Random(seed);
        byte[] buffer = new byte[2048];
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(0, 200);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length >= 4 && random.Next(4) != 0)
            {
                // Mostly valid front doors so the per-type checks get exercised.
                bool swapped = random.Next(2) == 0;
                buffer[0] = swapped ? (byte)0xc0 : (byte)0x70;
                buffer[1] = swapped ? (byte)0x70 : (byte)0xc0;
                buffer[2] = 3;
                buffer[3] = (byte)random.Next(6);
                if (length >= 5 && buffer[3] == 1)
                {
                    buffer[4] = (byte)random.Next(1, 3);
                }

                if (length >= 41 && random.Next(2) == 0)
                {
                    // Small counts, so list decoding is reached too.
                    buffer[swapped ? 56 : 53] = 0;
                    buffer[swapped ? 40 : 37] = 0;
                    buffer[swapped ? 24 : 21] = 0;
                }
            }

            try
            {
                if (SrpText.TryRender(buffer.AsSpan(0, length), out _) == WireError.None)
                {
                    accepted++;
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"seed={seed} iteration={i}: {e}");
            }
        }

        Assert.True(accepted > 0, $"seed={seed}: no random datagram was accepted, the generator is too weak");
    }
}
