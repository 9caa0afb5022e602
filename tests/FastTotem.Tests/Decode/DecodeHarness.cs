using System.Text.Json;
using FastTotem.Capture;

namespace FastTotem.Tests.Decode;

/// <summary>Runs <c>fasttotem decode</c> in-process and keeps what it printed.</summary>
internal sealed record DecodeRun(int ExitCode, string[] Lines, string Error)
{
    public static DecodeRun Args(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = TotemCaptureDecoder.Run(args, output, error);
        return new DecodeRun(exitCode, SplitLines(output.ToString()), error.ToString());
    }

    public static DecodeRun Bytes(byte[] capture, bool json, int port = DecodeOptions.DefaultPort)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = TotemCaptureDecoder.Run(CaptureFile.Read(capture), new DecodeOptions("(memory)", port, json), output, error);
        return new DecodeRun(exitCode, SplitLines(output.ToString()), error.ToString());
    }

    /// <summary>The same run without the lines reporting ICMP errors (text " icmp " or JSON "type":"icmp").</summary>
    public DecodeRun WithoutIcmp() => this with
    {
        Lines = Array.FindAll(Lines, l => !l.Contains(" icmp icmp_type=", StringComparison.Ordinal) && !l.Contains("\"type\":\"icmp", StringComparison.Ordinal)),
    };

    /// <summary>Each line parsed as JSON (fails the test when one does not parse).</summary>
    public List<JsonElement> Json()
    {
        var elements = new List<JsonElement>(Lines.Length);
        foreach (string line in Lines)
        {
            using JsonDocument document = JsonDocument.Parse(line);
            elements.Add(document.RootElement.Clone());
        }

        return elements;
    }

    private static string[] SplitLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
