using System.Globalization;
using FastTotem.Capture;
using FastTotem.Tests.Capture;
using FastTotem.Wire;

namespace FastTotem.Tests.Wire;

/// <summary>
/// Every Totem datagram (UDP to port 5405) of every corosync 3.1.7 capture decodes at the SRP layer to
/// exactly the SRP lines of the independent decode in decoded/*.decoded.txt, re-encodes to identical
/// bytes, and its byte-swapped twin decodes to the same lines.
/// </summary>
public class SrpGoldenCaptureTests
{
    private const int TotemPort = 5405;

    private static readonly string[] SrpTypeNames =
        ["orf_token", "mcast", "memb_merge_detect", "memb_join", "memb_commit_token", "token_hold_cancel"];

    public static TheoryData<string> Captures() => new(CaptureFixtures.Names);

    [Theory]
    [MemberData(nameof(Captures))]
    public void EveryDatagramMatchesTheIndependentDecode(string name)
    {
        Dictionary<int, List<string>> expected = ReadExpectedSrpLines(name);
        IReadOnlyList<CapturedDatagram> datagrams = CaptureFile.Read(CaptureFixtures.PcapPath(name)).Datagrams;

        var seen = new HashSet<int>();
        foreach (CapturedDatagram datagram in datagrams)
        {
            if (datagram.DestinationPort != TotemPort)
            {
                continue;
            }

            int frame = datagram.Frame;
            Assert.True(expected.TryGetValue(frame, out List<string>? want), $"{name}#{frame}: no SRP decode in the decoded file");
            Assert.True(seen.Add(frame), $"{name}#{frame}: two datagrams for one frame");

            WireError error = SrpText.TryRender(datagram.Payload, out List<string> actual);
            Assert.True(error == WireError.None, $"{name}#{frame}: {error}");
            AssertLines(name, frame, want!, actual);

            Assert.True(datagram.Payload.AsSpan().SequenceEqual(SrpText.ReEncode(datagram.Payload)), $"{name}#{frame}: re-encode differs");

            byte[] twin = ForeignEndianTwin.Build(datagram.Payload);
            Assert.Equal(WireError.None, SrpText.TryRender(twin, out List<string> twinLines));
            AssertLines(name, frame, want!, twinLines);
            Assert.True(datagram.Payload.AsSpan().SequenceEqual(SrpText.ReEncode(twin)), $"{name}#{frame}: twin re-encode differs");
        }

        // Nothing the independent decoder saw as SRP may be missing from our read of the capture.
        Assert.Equal(expected.Count, seen.Count);
        Assert.True(seen.Count > 0);
    }

    [Fact]
    public void GoldenSetCoversEveryTypeAndTheInterestingVariants()
    {
        var counts = new Dictionary<string, int>();
        int rtrTokens = 0, leaves = 0, encapsulated = 0, foreignTargets = 0;
        foreach (string name in CaptureFixtures.Names)
        {
            foreach (List<string> lines in ReadExpectedSrpLines(name).Values)
            {
                string type = lines[0].Trim().Split(' ')[0];
                counts[type] = counts.GetValueOrDefault(type) + 1;
                rtrTokens += lines.Exists(l => l.StartsWith("      rtr[", StringComparison.Ordinal)) ? 1 : 0;
                leaves += lines.Exists(l => l.EndsWith("<-- LEAVE (header nodeid 0)", StringComparison.Ordinal)) ? 1 : 0;
                encapsulated += lines[0].Contains(" encap=1 ", StringComparison.Ordinal) ? 1 : 0;
                foreignTargets += lines[0].EndsWith("target_nodeid=0x00000000", StringComparison.Ordinal) ? 0 : 1;
            }
        }

        foreach (string type in SrpTypeNames)
        {
            Assert.True(counts.GetValueOrDefault(type) > 0, $"no {type} in the golden set");
        }

        Assert.True(rtrTokens > 0);
        Assert.True(leaves > 0);
        Assert.True(encapsulated > 0);
        Assert.True(foreignTargets > 0);
    }

    private static void AssertLines(string name, int frame, List<string> expected, List<string> actual)
    {
        // A duplicate encapsulated copy carries no inner decode in the file: compare what it prints.
        if (actual.Count > expected.Count && expected.Count == 2 && expected[1].StartsWith("    encapsulated", StringComparison.Ordinal))
        {
            actual = actual.GetRange(0, expected.Count);
        }

        Assert.True(
            expected.SequenceEqual(actual),
            $"{name}#{frame}:\nexpected:\n{string.Join('\n', expected)}\nactual:\n{string.Join('\n', actual)}");
    }

    /// <summary>
    /// The SRP lines of each frame block: for every type but mcast the whole block; for mcast the
    /// header line, plus for an encapsulated one the "encapsulated inner message" line and the inner
    /// header line (absent for a duplicate copy). totempg and service lines are not SRP.
    /// </summary>
    private static Dictionary<int, List<string>> ReadExpectedSrpLines(string name)
    {
        var result = new Dictionary<int, List<string>>();
        List<string>? block = null;
        bool isMcast = false;
        foreach (string line in File.ReadLines(CaptureFixtures.DecodedPath(name)))
        {
            if (line.StartsWith('#'))
            {
                block = null;
                if (line.Contains(":5405 len ", StringComparison.Ordinal))
                {
                    int frame = int.Parse(line.AsSpan(1, line.IndexOf(' ') - 1), CultureInfo.InvariantCulture);
                    block = [];
                    result.Add(frame, block);
                }

                continue;
            }

            if (block is null)
            {
                continue;
            }

            if (block.Count == 0)
            {
                string type = line.TrimStart().Split(' ')[0];
                Assert.Contains(type, SrpTypeNames);
                isMcast = type == "mcast";
                block.Add(line);
            }
            else if (!isMcast)
            {
                block.Add(line);
            }
            else if (line.StartsWith("    encapsulated inner message", StringComparison.Ordinal)
                || (block.Count == 2 && line.StartsWith("    mcast ", StringComparison.Ordinal)))
            {
                block.Add(line);
            }
        }

        return result;
    }
}
