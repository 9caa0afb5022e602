using System.Collections;
using System.Globalization;
using System.Text;
using FastTotem.Wire;

namespace FastTotem.Capture;

/// <summary>
/// Renders <see cref="DecodedFields"/> as one human-readable line:
/// <c>#frame time src -> dst type key=value … | totempg … | group service.message key=value …</c>.
/// Ring ids print as rep.seq, lists as [a,b], nested objects as {key=value …}.
/// </summary>
public static class DecodeTextFormatter
{
    /// <summary>Keys printed in the fixed line prefix, not as key=value.</summary>
    private static readonly HashSet<string> PrefixKeys = ["frame", "time", "src", "dst", "type"];

    public static string Format(DecodedFields fields)
    {
        var line = new StringBuilder(160);
        line.Append('#').Append(Convert.ToString(fields["frame"], CultureInfo.InvariantCulture));
        line.Append(' ').Append(((double)(fields["time"] ?? 0.0)).ToString("0.000000", CultureInfo.InvariantCulture));
        line.Append(' ').Append(fields["src"]).Append(" -> ").Append(fields["dst"]);
        line.Append(' ').Append(fields["type"] ?? "?");
        foreach (KeyValuePair<string, object?> item in fields)
        {
            if (PrefixKeys.Contains(item.Key))
            {
                continue;
            }

            switch (item.Key)
            {
                case "totempg" when item.Value is DecodedFields pg:
                    line.Append(" | totempg");
                    AppendPairs(line, pg);
                    break;
                case "messages" when item.Value is IEnumerable messages:
                    foreach (object? message in messages)
                    {
                        line.Append(" |");
                        if (message is DecodedFields m)
                        {
                            AppendMessage(line, m);
                        }
                    }

                    break;
                case "inner" when item.Value is DecodedFields inner:
                    line.Append(" | inner ").Append(inner["type"] ?? "mcast");
                    foreach (KeyValuePair<string, object?> innerItem in inner)
                    {
                        if (innerItem.Key == "type")
                        {
                            continue;
                        }

                        if (innerItem.Key == "totempg" && innerItem.Value is DecodedFields innerPg)
                        {
                            line.Append(" | totempg");
                            AppendPairs(line, innerPg);
                        }
                        else if (innerItem.Key == "messages" && innerItem.Value is IEnumerable innerMessages)
                        {
                            foreach (object? message in innerMessages)
                            {
                                line.Append(" |");
                                if (message is DecodedFields m)
                                {
                                    AppendMessage(line, m);
                                }
                            }
                        }
                        else
                        {
                            AppendPair(line, innerItem.Key, innerItem.Value);
                        }
                    }

                    break;
                case "copy" when item.Value is true:
                    line.Append(" copy");
                    break;
                default:
                    AppendPair(line, item.Key, item.Value);
                    break;
            }
        }

        return line.ToString();
    }

    /// <summary>One service message: "group service.message key=value …".</summary>
    private static void AppendMessage(StringBuilder line, DecodedFields message)
    {
        if (message["groups"] is IEnumerable groups)
        {
            line.Append(' ');
            bool first = true;
            foreach (object? group in groups)
            {
                if (!first)
                {
                    line.Append(',');
                }

                line.Append(group);
                first = false;
            }
        }

        if (message["service"] is string service)
        {
            line.Append(' ').Append(service);
            if (message["message"] is string name)
            {
                line.Append('.').Append(name);
            }
        }

        foreach (KeyValuePair<string, object?> item in message)
        {
            if (item.Key is "groups" or "service" or "message")
            {
                continue;
            }

            AppendPair(line, item.Key, item.Value);
        }
    }

    private static void AppendPairs(StringBuilder line, DecodedFields fields)
    {
        foreach (KeyValuePair<string, object?> item in fields)
        {
            AppendPair(line, item.Key, item.Value);
        }
    }

    private static void AppendPair(StringBuilder line, string key, object? value)
    {
        line.Append(' ').Append(key).Append('=');
        AppendValue(line, value);
    }

    private static void AppendValue(StringBuilder line, object? value)
    {
        switch (value)
        {
            case null:
                line.Append('-');
                break;
            case string s:
                line.Append(s.Length == 0 || s.Contains(' ') || s.Contains('=') ? Quote(s) : s);
                break;
            case bool b:
                line.Append(b ? '1' : '0');
                break;
            case double d:
                line.Append(d.ToString("0.000000", CultureInfo.InvariantCulture));
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
                    AppendValue(line, item.Value);
                    first = false;
                }

                line.Append('}');
                break;
            }

            case IEnumerable list:
            {
                line.Append('[');
                bool first = true;
                foreach (object? element in list)
                {
                    if (!first)
                    {
                        line.Append(',');
                    }

                    AppendValue(line, element);
                    first = false;
                }

                line.Append(']');
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
