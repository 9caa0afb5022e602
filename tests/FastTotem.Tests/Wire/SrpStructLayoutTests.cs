using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Every SRP struct's size and field offsets against docs/wire-format.md §2 and §5.</summary>
public class SrpStructLayoutTests
{
    private static void AssertOffset<T>(string field, int expected) =>
        Assert.Equal(expected, (int)Marshal.OffsetOf<T>(field));

    [Fact]
    public void HeaderLayoutMatchesSection2_1()
    {
        Assert.Equal(13, Unsafe.SizeOf<TotemHeader>());
        AssertOffset<TotemHeader>(nameof(TotemHeader.Magic), 0);
        AssertOffset<TotemHeader>(nameof(TotemHeader.Version), 2);
        AssertOffset<TotemHeader>(nameof(TotemHeader.Type), 3);
        AssertOffset<TotemHeader>(nameof(TotemHeader.EncapsulatedFlag), 4);
        AssertOffset<TotemHeader>(nameof(TotemHeader.NodeId), 5);
        AssertOffset<TotemHeader>(nameof(TotemHeader.TargetNodeId), 9);
    }

    [Fact]
    public void RingIdLayoutMatchesSection2_2()
    {
        Assert.Equal(12, Unsafe.SizeOf<MembRingId>());
        AssertOffset<MembRingId>(nameof(MembRingId.Rep), 0);
        AssertOffset<MembRingId>(nameof(MembRingId.Seq), 4);
    }

    [Fact]
    public void OrfTokenLayoutMatchesSection5_1()
    {
        Assert.Equal(57, Unsafe.SizeOf<OrfToken>());
        Assert.Equal(OrfToken.Size, Unsafe.SizeOf<OrfToken>());
        AssertOffset<OrfToken>(nameof(OrfToken.Header), 0);
        AssertOffset<OrfToken>(nameof(OrfToken.Seq), 13);
        AssertOffset<OrfToken>(nameof(OrfToken.TokenSeq), 17);
        AssertOffset<OrfToken>(nameof(OrfToken.Aru), 21);
        AssertOffset<OrfToken>(nameof(OrfToken.AruAddr), 25);
        AssertOffset<OrfToken>(nameof(OrfToken.RingId), 29);
        AssertOffset<OrfToken>(nameof(OrfToken.Backlog), 41);
        AssertOffset<OrfToken>(nameof(OrfToken.Fcc), 45);
        AssertOffset<OrfToken>(nameof(OrfToken.RetransFlg), 49);
        AssertOffset<OrfToken>(nameof(OrfToken.RtrListEntries), 53);

        Assert.Equal(16, Unsafe.SizeOf<RtrItem>());
        Assert.Equal(RtrItem.Size, Unsafe.SizeOf<RtrItem>());
        AssertOffset<RtrItem>(nameof(RtrItem.RingId), 0);
        AssertOffset<RtrItem>(nameof(RtrItem.Seq), 12);
    }

    [Fact]
    public void McastHeaderLayoutMatchesSection5_2()
    {
        Assert.Equal(45, Unsafe.SizeOf<McastHeader>());
        Assert.Equal(McastHeader.Size, Unsafe.SizeOf<McastHeader>());
        AssertOffset<McastHeader>(nameof(McastHeader.Header), 0);
        AssertOffset<McastHeader>(nameof(McastHeader.SystemFrom), 13);
        AssertOffset<McastHeader>(nameof(McastHeader.Seq), 17);
        AssertOffset<McastHeader>(nameof(McastHeader.ThisSeqno), 21);
        AssertOffset<McastHeader>(nameof(McastHeader.RingId), 25);
        AssertOffset<McastHeader>(nameof(McastHeader.NodeId), 37);
        AssertOffset<McastHeader>(nameof(McastHeader.Guarantee), 41);
    }

    [Fact]
    public void MergeDetectLayoutMatchesSection5_3()
    {
        Assert.Equal(29, Unsafe.SizeOf<MembMergeDetect>());
        Assert.Equal(MembMergeDetect.Size, Unsafe.SizeOf<MembMergeDetect>());
        AssertOffset<MembMergeDetect>(nameof(MembMergeDetect.SystemFrom), 13);
        AssertOffset<MembMergeDetect>(nameof(MembMergeDetect.RingId), 17);
    }

    [Fact]
    public void JoinLayoutMatchesSection5_4()
    {
        Assert.Equal(33, Unsafe.SizeOf<MembJoin>());
        Assert.Equal(MembJoin.Size, Unsafe.SizeOf<MembJoin>());
        AssertOffset<MembJoin>(nameof(MembJoin.SystemFrom), 13);
        AssertOffset<MembJoin>(nameof(MembJoin.ProcListEntries), 17);
        AssertOffset<MembJoin>(nameof(MembJoin.FailedListEntries), 21);
        AssertOffset<MembJoin>(nameof(MembJoin.RingSeq), 25);
        Assert.Equal(33 + 4 * (2 + 1), MembJoinCodec.GetEncodedLength(2, 1));
    }

    [Fact]
    public void CommitTokenLayoutMatchesSection5_5()
    {
        Assert.Equal(41, Unsafe.SizeOf<MembCommitToken>());
        Assert.Equal(MembCommitToken.Size, Unsafe.SizeOf<MembCommitToken>());
        AssertOffset<MembCommitToken>(nameof(MembCommitToken.TokenSeq), 13);
        AssertOffset<MembCommitToken>(nameof(MembCommitToken.RingId), 17);
        AssertOffset<MembCommitToken>(nameof(MembCommitToken.RetransFlg), 29);
        AssertOffset<MembCommitToken>(nameof(MembCommitToken.MembIndex), 33);
        AssertOffset<MembCommitToken>(nameof(MembCommitToken.AddrEntries), 37);

        Assert.Equal(24, Unsafe.SizeOf<MembCommitTokenMembEntry>());
        Assert.Equal(MembCommitTokenMembEntry.Size, Unsafe.SizeOf<MembCommitTokenMembEntry>());
        AssertOffset<MembCommitTokenMembEntry>(nameof(MembCommitTokenMembEntry.RingId), 0);
        AssertOffset<MembCommitTokenMembEntry>(nameof(MembCommitTokenMembEntry.Aru), 12);
        AssertOffset<MembCommitTokenMembEntry>(nameof(MembCommitTokenMembEntry.HighDelivered), 16);
        AssertOffset<MembCommitTokenMembEntry>(nameof(MembCommitTokenMembEntry.ReceivedFlg), 20);
        Assert.Equal(41 + 28 * 3, MembCommitTokenCodec.GetEncodedLength(3));
    }

    [Fact]
    public void HoldCancelLayoutMatchesSection5_6()
    {
        Assert.Equal(25, Unsafe.SizeOf<TokenHoldCancel>());
        Assert.Equal(TokenHoldCancel.Size, Unsafe.SizeOf<TokenHoldCancel>());
        AssertOffset<TokenHoldCancel>(nameof(TokenHoldCancel.RingId), 13);
    }

    [Fact]
    public void CodecsAssumeALittleEndianHost()
    {
        // The codecs read structs in host order; every supported host is little-endian.
        Assert.True(BitConverter.IsLittleEndian);
    }
}
