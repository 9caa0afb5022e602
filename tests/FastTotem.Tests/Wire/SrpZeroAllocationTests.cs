using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>Decode + encode of every SRP type allocates nothing (10,000 round trips each).</summary>
public class SrpZeroAllocationTests
{
    private const int Iterations = 10_000;

    private static readonly byte[] Output = new byte[WireLimits.FrameSizeMax];
    private static readonly RtrItem[] Rtr = new RtrItem[WireLimits.RetransmitEntriesMax];
    private static readonly uint[] ListA = new uint[WireLimits.ProcessorCountMax];
    private static readonly uint[] ListB = new uint[WireLimits.ProcessorCountMax];
    private static readonly MembCommitTokenMembEntry[] Entries = new MembCommitTokenMembEntry[WireLimits.ProcessorCountMax];

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (string name in new[] { "A1Join", "A36Commit", "A40Token", "F35Token", "G11Leave", "A16MergeDetect", "D14HoldCancel", "F1073Encapsulated", "D171Mcast" })
        {
            data.Add(name, false);
            data.Add(name, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoundTripAllocatesNothing(string name, bool foreign)
    {
        byte[] native = SrpWorkedDecodeTests.Example(name);
        byte[] datagram = foreign ? ForeignEndianTwin.Build(native) : native;

        int failures = RoundTrips(datagram, 100); // warm up: JIT, statics

        // Under a loaded parallel run the runtime may charge a few bytes to this thread while it tiers code up;
        // a real per-iteration allocation shows in every window, so one of three must be exactly zero.
        long allocated = 0;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            failures += RoundTrips(datagram, Iterations);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                break;
            }
        }

        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
        Assert.Equal(native, Output.AsSpan(0, native.Length).ToArray());
    }

    private static int RoundTrips(byte[] datagram, int count)
    {
        int failures = 0;
        for (int i = 0; i < count; i++)
        {
            failures += RoundTrip(datagram) == datagram.Length ? 0 : 1;
        }

        return failures;
    }

    /// <summary>Decodes and re-encodes; returns the bytes written, or -1 on any error.</summary>
    private static int RoundTrip(ReadOnlySpan<byte> datagram)
    {
        if (TotemDatagram.TryParse(datagram, out TotemHeader header, out _) != WireError.None)
        {
            return -1;
        }

        WireError error;
        int written = -1;
        switch (header.Type)
        {
            case MessageType.OrfToken:
                error = OrfTokenCodec.TryDecode(datagram, out OrfToken token, Rtr);
                if (error == WireError.None)
                {
                    error = OrfTokenCodec.TryEncode(token, Rtr.AsSpan(0, token.RtrListEntries), Output, out written);
                }

                break;
            case MessageType.Mcast:
                error = McastCodec.TryDecode(datagram, out McastHeader mcast, out ReadOnlySpan<byte> payload, out _);
                if (error == WireError.None && mcast.IsEncapsulated)
                {
                    error = McastCodec.TryDecode(payload, out _, out _, out _);
                }

                if (error == WireError.None)
                {
                    error = McastCodec.TryEncode(mcast, payload, Output, out written);
                }

                break;
            case MessageType.MembMergeDetect:
                error = MembMergeDetectCodec.TryDecode(datagram, out MembMergeDetect merge);
                if (error == WireError.None)
                {
                    error = MembMergeDetectCodec.TryEncode(merge, Output, out written);
                }

                break;
            case MessageType.MembJoin:
                error = MembJoinCodec.TryDecode(datagram, out MembJoin join, ListA, ListB);
                if (error == WireError.None)
                {
                    error = MembJoinCodec.TryEncode(
                        join, ListA.AsSpan(0, (int)join.ProcListEntries), ListB.AsSpan(0, (int)join.FailedListEntries), Output, out written);
                }

                break;
            case MessageType.MembCommitToken:
                error = MembCommitTokenCodec.TryDecode(datagram, out MembCommitToken commit, ListA, Entries);
                if (error == WireError.None)
                {
                    error = MembCommitTokenCodec.TryEncode(
                        commit, ListA.AsSpan(0, commit.AddrEntries), Entries.AsSpan(0, commit.AddrEntries), Output, out written);
                }

                break;
            case MessageType.TokenHoldCancel:
                error = TokenHoldCancelCodec.TryDecode(datagram, out TokenHoldCancel cancel);
                if (error == WireError.None)
                {
                    error = TokenHoldCancelCodec.TryEncode(cancel, Output, out written);
                }

                break;
            default:
                return -1;
        }

        return error == WireError.None ? written : -1;
    }
}
