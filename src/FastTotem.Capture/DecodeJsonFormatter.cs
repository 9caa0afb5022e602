using System.Collections;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FastTotem.Wire;

namespace FastTotem.Capture;

/// <summary>Renders <see cref="DecodedFields"/> as one line of JSON with Utf8JsonWriter (no reflection, AOT-safe).</summary>
internal static class DecodeJsonFormatter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Format(DecodedFields fields)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            WriteObject(writer, fields);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteObject(Utf8JsonWriter writer, DecodedFields fields)
    {
        writer.WriteStartObject();
        foreach (KeyValuePair<string, object?> item in fields)
        {
            writer.WritePropertyName(item.Key);
            WriteValue(writer, item.Value);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case uint u:
                writer.WriteNumberValue(u);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case ulong ul:
                writer.WriteNumberValue(ul);
                break;
            case ushort us:
                writer.WriteNumberValue(us);
                break;
            case byte by:
                writer.WriteNumberValue(by);
                break;
            case double d:
                writer.WriteRawValue(d.ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture));
                break;
            case MembRingId ring:
                writer.WriteStartObject();
                writer.WriteNumber("rep", ring.Rep);
                writer.WriteNumber("seq", ring.Seq);
                writer.WriteEndObject();
                break;
            case DecodedFields nested:
                WriteObject(writer, nested);
                break;
            case IEnumerable list:
                writer.WriteStartArray();
                foreach (object? element in list)
                {
                    WriteValue(writer, element);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(value.ToString());
                break;
        }
    }
}
