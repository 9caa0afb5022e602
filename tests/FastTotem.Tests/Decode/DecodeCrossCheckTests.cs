using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastTotem.Tests.Capture;

namespace FastTotem.Tests.Decode;

/// <summary>
/// Compares every datagram of every fixture, field by field, with the independent decoder's output
/// in decoded/*.decoded.txt: SRP fields, copies, totempg header, reassembly and the service messages.
/// </summary>
public partial class DecodeCrossCheckTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string name in CaptureFixtures.Names)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Json_matches_the_independent_decode_for_every_datagram(string name)
    {
        DecodeRun run = DecodeRun.Args(CaptureFixtures.PcapPath(name), "--json");
        Assert.Equal(0, run.ExitCode);
        Dictionary<int, List<string>> blocks = ReadBlocks(name);
        int checkedMessages = 0;
        foreach (JsonElement line in run.Json())
        {
            if (line.GetProperty("type").GetString() is "icmp" or "icmp6")
            {
                continue; // ICMP errors about port 5405 are reported too; the independent decode lists UDP only.
            }

            int frame = line.GetProperty("frame").GetInt32();
            List<string> block = blocks[frame];
            string context = $"{name}#{frame}";
            Dictionary<string, string> srp = Pairs(block[1] + " " + (block.Count > 2 ? block[2] : ""));
            string type = block[1].Trim().Split(' ')[0];
            Assert.True(TypeNames[type] == line.GetProperty("type").GetString(), context);
            Assert.True(srp["nodeid"] == Str(line, "nodeid"), context);
            switch (type)
            {
                case "orf_token":
                    foreach (string key in new[] { "seq", "token_seq", "aru", "aru_addr", "backlog", "fcc", "retrans_flg" })
                    {
                        Assert.True(srp[key] == Str(line, key), $"{context} {key}");
                    }

                    Assert.Equal(srp["ring_id"], Ring(line));
                    Assert.Equal(int.Parse(srp["rtr_list_entries"], CultureInfo.InvariantCulture), line.GetProperty("rtr").GetArrayLength());
                    break;
                case "mcast":
                    Assert.True(srp["seq"] == Str(line, "seq"), context);
                    Assert.True(srp["system_from"] == Str(line, "system_from"), context);
                    Assert.Equal(srp["ring_id"], Ring(line));
                    Assert.Equal(srp["encap"] == "1", line.GetProperty("encapsulated").GetBoolean());
                    bool copy = block.Exists(l => l.Contains("(duplicate copy", StringComparison.Ordinal));
                    Assert.True(copy == line.GetProperty("copy").GetBoolean(), context);
                    if (!copy)
                    {
                        checkedMessages += CheckTotempg(block, line, context);
                    }

                    break;
                case "memb_join":
                    Assert.True(srp["system_from"] == Str(line, "system_from"), context);
                    Assert.True(srp["ring_seq"] == Str(line, "ring_seq"), context);
                    Assert.Equal(List(block[2], "proc_list"), Numbers(line.GetProperty("proc")));
                    Assert.Equal(List(block[2], "failed_list"), Numbers(line.GetProperty("failed")));
                    break;
                case "memb_merge_detect":
                    Assert.True(srp["system_from"] == Str(line, "system_from"), context);
                    Assert.Equal(srp["ring_id"], Ring(line));
                    break;
                case "memb_commit_token":
                    Assert.True(srp["token_seq"] == Str(line, "token_seq"), context);
                    Assert.True(srp["memb_index"] == Str(line, "memb_index"), context);
                    Assert.Equal(srp["ring_id"], Ring(line));
                    Assert.Equal(int.Parse(srp["addr_entries"], CultureInfo.InvariantCulture), line.GetProperty("members").GetArrayLength());
                    break;
                case "token_hold_cancel":
                    Assert.Equal(srp["ring_id"], Ring(line));
                    break;
                default:
                    Assert.Fail($"{context}: unexpected type {type}");
                    break;
            }
        }

        // Every fixture carries service messages; make sure the comparison above saw them.
        Assert.True(checkedMessages > 0, $"{name}: no service messages compared");
    }

    /// <summary>totempg header, buffering, reassembly and the service message names, in order.</summary>
    private static int CheckTotempg(List<string> block, JsonElement line, string context)
    {
        JsonElement layer = line.TryGetProperty("inner", out JsonElement inner) ? inner : line;
        string? pgLine = block.Find(l => l.TrimStart().StartsWith("totempg:", StringComparison.Ordinal));
        Assert.NotNull(pgLine);
        Dictionary<string, string> pg = Pairs(pgLine);
        JsonElement ourPg = layer.GetProperty("totempg");
        Assert.True(pg["fragmented"] == Str(ourPg, "fragmented"), context);
        Assert.True(pg["continuation"] == Str(ourPg, "continuation"), context);
        Assert.Equal(List(pgLine, "msg_len"), Numbers(ourPg.GetProperty("msg_len")));

        Match buffered = Buffered().Match(string.Join('\n', block));
        if (buffered.Success)
        {
            Assert.True(buffered.Groups[1].Value == Str(ourPg, "buffered"), context);
        }

        var expected = new List<string>();
        foreach (string l in block)
        {
            Match exec = ExecName().Match(l);
            if (exec.Success)
            {
                expected.Add(exec.Groups[1].Value);
            }

            Match sync = SyncName().Match(l);
            if (sync.Success)
            {
                expected.Add("sync." + sync.Groups[1].Value.ToLowerInvariant());
            }
        }

        var actual = new List<string>();
        foreach (JsonElement message in layer.GetProperty("messages").EnumerateArray())
        {
            Assert.False(message.TryGetProperty("error", out _), context);
            actual.Add(message.GetProperty("service").GetString() + "." + message.GetProperty("message").GetString());
        }

        Assert.True(expected.SequenceEqual(actual), $"{context}: expected [{string.Join(',', expected)}], got [{string.Join(',', actual)}]");

        Match reassembled = Reassembled().Match(string.Join('\n', block));
        if (reassembled.Success)
        {
            Assert.True(reassembled.Groups[1].Value == Str(layer.GetProperty("messages")[0], "assembled"), context);
        }

        return actual.Count;
    }

    private static readonly Dictionary<string, string> TypeNames = new()
    {
        ["orf_token"] = "orf_token",
        ["mcast"] = "mcast",
        ["memb_merge_detect"] = "merge_detect",
        ["memb_join"] = "join",
        ["memb_commit_token"] = "commit_token",
        ["token_hold_cancel"] = "token_hold_cancel",
    };

    private static string Str(JsonElement element, string key) => element.GetProperty(key).GetRawText();

    private static string Ring(JsonElement element)
    {
        JsonElement ring = element.GetProperty("ring");
        return $"{ring.GetProperty("rep").GetRawText()}.{ring.GetProperty("seq").GetRawText()}";
    }

    private static List<long> Numbers(JsonElement array)
    {
        var numbers = new List<long>();
        foreach (JsonElement e in array.EnumerateArray())
        {
            numbers.Add(e.GetInt64());
        }

        return numbers;
    }

    private static List<long> List(string line, string key)
    {
        Match m = Regex.Match(line, key + @"=\[([0-9, ]*)\]");
        Assert.True(m.Success, $"no {key} in '{line}'");
        var numbers = new List<long>();
        foreach (string part in m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            numbers.Add(long.Parse(part, CultureInfo.InvariantCulture));
        }

        return numbers;
    }

    private static Dictionary<string, string> Pairs(string line)
    {
        var pairs = new Dictionary<string, string>();
        foreach (Match m in Pair().Matches(line))
        {
            pairs.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
        }

        return pairs;
    }

    private static Dictionary<int, List<string>> ReadBlocks(string name)
    {
        var blocks = new Dictionary<int, List<string>>();
        List<string>? current = null;
        foreach (string line in File.ReadLines(CaptureFixtures.DecodedPath(name)))
        {
            Match header = FrameHeader().Match(line);
            if (header.Success)
            {
                current = [line];
                blocks[int.Parse(header.Groups[1].Value, CultureInfo.InvariantCulture)] = current;
            }
            else if (line.StartsWith('#'))
            {
                current = null;
            }
            else
            {
                current?.Add(line);
            }
        }

        return blocks;
    }

    [GeneratedRegex(@"^#(\d+) \S+ [0-9.]+:\d+ -> ")]
    private static partial Regex FrameHeader();

    [GeneratedRegex(@"(\w+)=([^\s\[]+)")]
    private static partial Regex Pair();

    [GeneratedRegex(@"exec msg id=0x[0-9a-f]+ \(([a-z_]+\.[a-z_]+)\)")]
    private static partial Regex ExecName();

    [GeneratedRegex(@"^\s+sync (BARRIER|SERVICE_BUILD)")]
    private static partial Regex SyncName();

    [GeneratedRegex(@"\[incomplete message, (\d+) bytes buffered")]
    private static partial Regex Buffered();

    [GeneratedRegex(@"\[reassembled message of (\d+) bytes")]
    private static partial Regex Reassembled();
}
