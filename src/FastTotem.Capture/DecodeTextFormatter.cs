using System.Collections;
using System.Globalization;
using System.Text;
using FastTotem.Wire;

namespace FastTotem.Capture;

/// <summary>
/// Renders <see cref="DecodedFields"/> as one human-readable line:
/// <c>#frame time src -> dst type nodeid=N key=value … | pg [lens] … | service.message key=value …</c>.
/// Ring ids print as rep.seq, lists as [a,b], nested objects as {key=value …}. The text is a summary:
/// fields that rarely matter (this_seqno, msg_count, per-message lengths, system_from when it equals
/// nodeid) are left out; <c>--json</c> has them all.
/// </summary>
internal static class DecodeTextFormatter
{
    /// <summary>Lists longer than this print their first <see cref="ListHeadShown"/> and last <see cref="ListTailShown"/> elements.</summary>
    private const int ListShownMax = 16;
    private const int ListHeadShown = 8;
    private const int ListTailShown = 2;

    private static readonly HashSet<string> PrefixKeys = ["frame", "time", "src", "dst", "type", "len"];

    /// <summary>Keys only the JSON output carries.</summary>
    private static readonly HashSet<string> JsonOnlyKeys = ["this_seqno", "msg_count"];

    public static string Format(DecodedFields fields)
    {
        var line = new StringBuilder(160);
        line.Append('#').Append(Convert.ToString(fields["frame"], CultureInfo.InvariantCulture));
        line.Append(' ').Append(((double)(fields["time"] ?? 0.0)).ToString("0.000000", CultureInfo.InvariantCulture));
        line.Append(' ').Append(fields["src"]).Append(" -> ").Append(fields["dst"]);
        line.Append(' ').Append(fields["type"] ?? "?");
        AppendLayer(line, fields, PrefixKeys);
        line.Append(" (").Append(Convert.ToString(fields["len"], CultureInfo.InvariantCulture)).Append(" B)");
        return line.ToString();
    }

    /// <summary>The key=value pairs of one SRP message (outer or encapsulated), then its totempg layer.</summary>
    private static void AppendLayer(StringBuilder line, DecodedFields fields, HashSet<string>? skip)
    {
        object? nodeId = fields["nodeid"];
        foreach (KeyValuePair<string, object?> item in fields)
        {
            if ((skip is not null && skip.Contains(item.Key)) || JsonOnlyKeys.Contains(item.Key))
            {
                continue;
            }

            switch (item.Key)
            {
                case "system_from" when Equals(item.Value, nodeId):
                case "encapsulated" when item.Value is false:
                case "copy" when item.Value is false:
                case "messages":
                    break;
                case "encapsulated":
                    line.Append(" encapsulated");
                    break;
                case "copy":
                    line.Append(" copy");
                    break;
                case "leave" when item.Value is true:
                    line.Append(" LEAVE");
                    break;
                case "foreign_endian" when item.Value is true:
                    line.Append(" foreign-endian");
                    break;
                case "knet" when item.Value is DecodedFields knet:
                    AppendKnet(line, knet);
                    break;
                case "inner" when item.Value is DecodedFields inner:
                    line.Append(" | inner mcast");
                    AppendLayer(line, inner, null);
                    break;
                case "totempg" when item.Value is DecodedFields pg:
                    AppendTotempg(line, pg);
                    if (fields["messages"] is IEnumerable messages)
                    {
                        foreach (object? message in messages)
                        {
                            if (message is DecodedFields m)
                            {
                                AppendMessage(line, m);
                            }
                        }
                    }

                    break;
                default:
                    AppendPair(line, item.Key, item.Value);
                    break;
            }
        }
    }

    /// <summary>The knet layer in brackets: "[knet data host=2 seq=181 frag=1/4 bcast=1 crypto=aes256/sha256]".</summary>
    private static void AppendKnet(StringBuilder line, DecodedFields knet)
    {
        line.Append(" [knet ").Append(knet["type"] ?? "?");
        foreach (KeyValuePair<string, object?> item in knet)
        {
            if (item.Key != "type")
            {
                AppendPair(line, item.Key, item.Value);
            }
        }

        line.Append(']');
    }

    private static void AppendTotempg(StringBuilder line, DecodedFields pg)
    {
        line.Append(" | pg");
        if (pg["continuation"] is byte continuation && continuation != 0)
        {
            line.Append(" cont=").Append(continuation.ToString(CultureInfo.InvariantCulture));
        }

        if (pg["fragmented"] is byte fragmented && fragmented != 0)
        {
            line.Append(" frag=").Append(fragmented.ToString(CultureInfo.InvariantCulture));
        }

        line.Append(' ');
        AppendValue(line, "msg_len", pg["msg_len"]);
        foreach (KeyValuePair<string, object?> item in pg)
        {
            if (item.Key is "fragmented" or "continuation" or "msg_count" or "msg_len")
            {
                continue;
            }

            AppendPair(line, item.Key, item.Value);
        }
    }

    /// <summary>One service message: "| service.message key=value …", the groups only when unusual.</summary>
    private static void AppendMessage(StringBuilder line, DecodedFields message)
    {
        line.Append(" |");
        if (message["groups"] is string[] groups && !(groups.Length == 1 && groups[0] is "a" or "sync"))
        {
            line.Append(" groups=");
            AppendValue(line, "groups", groups);
        }

        line.Append(' ').Append(message["service"] ?? "?");
        if (message["message"] is string name)
        {
            line.Append('.').Append(name);
        }

        foreach (KeyValuePair<string, object?> item in message)
        {
            if (item.Key is "groups" or "service" or "message" or "len")
            {
                continue;
            }

            AppendPair(line, item.Key, item.Value);
        }
    }

    private static void AppendPair(StringBuilder line, string key, object? value)
    {
        line.Append(' ').Append(key).Append('=');
        AppendValue(line, key, value);
    }

    private static void AppendValue(StringBuilder line, string key, object? value)
    {
        switch (value)
        {
            case null:
                line.Append('-');
                break;
            case string s:
                line.Append(s.Length == 0 || s.Contains(' ') || s.Contains('=') || s.Contains('|') ? Quote(s) : s);
                break;
            case bool b:
                line.Append(b ? '1' : '0');
                break;
            case uint flags when key == "flags":
                line.Append("0x").Append(flags.ToString("x", CultureInfo.InvariantCulture));
                break;
            case double d:
                line.Append(d.ToString("0.######", CultureInfo.InvariantCulture));
                break;
            case MembRingId ring:
                line.Append(ring.Rep.ToString(CultureInfo.InvariantCulture)).Append('.')
                    .Append(ring.Seq.ToString(CultureInfo.InvariantCulture));
                break;
            case DecodedFields nested:
            {
                line.Append('{');
                bool first = true;
                foreach (KeyValuePair<string, object?> item in nested)
                {
                    if (!first)
                    {
                        line.Append(' ');
                    }

                    line.Append(item.Key).Append('=');
                    AppendValue(line, item.Key, item.Value);
                    first = false;
                }

                line.Append('}');
                break;
            }

            case IEnumerable list:
            {
                // Long lists (a 384-node join, 30 rtr items) keep their head and tail and say how many.
                var elements = new List<object?>();
                foreach (object? element in list)
                {
                    elements.Add(element);
                }

                line.Append('[');
                for (int i = 0; i < elements.Count; i++)
                {
                    if (elements.Count > ListShownMax && i == ListHeadShown)
                    {
                        line.Append(",...");
                        i = elements.Count - ListTailShown;
                    }

                    if (i > 0)
                    {
                        line.Append(',');
                    }

                    AppendValue(line, key, elements[i]);
                }

                line.Append(']');
                if (elements.Count > ListShownMax)
                {
                    line.Append('(').Append(elements.Count.ToString(CultureInfo.InvariantCulture)).Append(')');
                }

                break;
            }

            case IFormattable formattable:
                line.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                line.Append(value);
                break;
        }
    }

    private static string Quote(string s)
    {
        var quoted = new StringBuilder(s.Length + 2);
        quoted.Append('"');
        foreach (char c in s)
        {
            if (c is '"' or '\\')
            {
                quoted.Append('\\');
            }

            quoted.Append(c);
        }

        return quoted.Append('"').ToString();
    }
}
